"""Image input to a GLM vision model (glm-4.6v): a URL, or base64 data."""

import base64

from _setup import glm_kwargs
from langchain_core.messages import HumanMessage

from langchain_glm import ChatGLM

# A 1x1 PNG: replace with your own file, e.g. base64.b64encode(open("cat.png", "rb").read())
png = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c63fccf0c050f00048501808a8c8c21"
        "0000000049454e44ae426082"
    )
).decode()
llm = ChatGLM(**glm_kwargs(model="glm-4.6v"))
msg = llm.invoke(
    [
        HumanMessage(
            content=[
                {"type": "text", "text": "Describe this image."},
                {"type": "image", "base64": png, "mime_type": "image/png"},
            ]
        )
    ]
)
print(msg.content)
