"""Testing your own app offline: run it against the GLM emulator.

In pytest, the `glm_emulator_url` fixture (installed with glm-integrations) gives a running
emulator; elsewhere, use EmulatorServer as below or `python -m glm_transport.emulator --port 8000`.

    def test_my_chain(glm_emulator_url):
        llm = ChatGLM(base_url=glm_emulator_url, api_key="test")
        assert my_chain(llm).invoke("hi")
"""

from glm_transport.emulator import EmulatorServer
from langchain_glm import ChatGLM
from llama_index_glm import GLM

with EmulatorServer() as emu:
    lc = ChatGLM(base_url=emu.base_url, api_key="test")
    li = GLM(base_url=emu.base_url, api_key="test")
    print("[langchain] ", lc.invoke("ping").content)
    print("[llamaindex]", li.complete("ping").text)
    print("[emulator]   requests served:", emu.state.requests)
