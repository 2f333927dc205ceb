"""Defaults shared by the transport and both framework integrations."""

from __future__ import annotations

DEFAULT_MODEL = "glm-5-turbo"
DEFAULT_PROVIDER = "zai"
DEFAULT_TIMEOUT = 120.0
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_MAX_RETRIES = 2
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
# A server-sent Retry-After longer than this is not waited for: the error is raised instead.
MAX_RETRY_AFTER = 60.0
MAX_CONNECTIONS = 1000
MAX_KEEPALIVE_CONNECTIONS = 200
KEEPALIVE_EXPIRY = 30.0

ENV_API_KEY = "GLM_API_KEY"
ENV_BASE_URL = "GLM_BASE_URL"
ENV_PROVIDER = "GLM_PROVIDER"
