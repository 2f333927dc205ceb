"""Choosing a provider or gateway: presets pick the URL, the key variable and the limits.

    zai (default)    https://api.z.ai/api/paas/v4             ZAI_API_KEY
    zai-coding       https://api.z.ai/api/coding/paas/v4      ZAI_API_KEY
    bigmodel         https://open.bigmodel.cn/api/paas/v4     ZHIPUAI_API_KEY
    bigmodel-coding  https://open.bigmodel.cn/api/coding/paas/v4
    maxtoken         https://api.maxtoken.io/v1               MAXTOKEN_API_KEY (4 stop words)
    powertokens      https://api.powertokens.ai/v1            POWERTOKENS_API_KEY (function tools)

GLM_API_KEY works for all; an explicit base_url (or GLM_BASE_URL) replaces only the URL, so a
proxy keeps its provider's limits. Limits are checked before anything is sent.
"""

from glm_transport import PROVIDERS, GLMValidationError
from langchain_glm import ChatGLM

for name, p in PROVIDERS.items():
    if p.base_url:
        print(
            f"{name:16} {p.base_url:45} key: GLM_API_KEY or {', '.join(p.key_env)}; "
            f"stop words <= {p.limits.max_stop}"
        )

proxy = ChatGLM(provider="maxtoken", base_url="http://my-proxy.internal/v1", api_key="k")
print(
    "\nbehind a proxy:",
    proxy.client.settings.base_url,
    "limits of",
    proxy.client.settings.provider.name,
)
try:
    ChatGLM(provider="zai", api_key="k", stop=["a", "b"]).invoke("hi")
except GLMValidationError as err:
    print("refused before sending:", err)
