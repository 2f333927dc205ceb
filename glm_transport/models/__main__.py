"""``python -m glm_transport.models``: the model catalogue as a table."""

from glm_transport.models import markdown_table

print(markdown_table())
