"""Stream an answer with GLM's reasoning shown apart from the answer itself."""

from _setup import glm_kwargs

from langchain_glm import ChatGLM

llm = ChatGLM(**glm_kwargs(), thinking=True)  # or {"type": "enabled", "clear_thinking": False}
state = None
for chunk in llm.stream("Why is the sky blue? One sentence."):
    reasoning = chunk.additional_kwargs.get("reasoning_content", "")
    if reasoning:
        if state != "thinking":
            print("\n[thinking] ", end="")
            state = "thinking"
        print(reasoning, end="", flush=True)
    if chunk.content:
        if state != "answer":
            print("\n[answer]   ", end="")
            state = "answer"
        print(chunk.content, end="", flush=True)
    if chunk.usage_metadata:
        usage = chunk.usage_metadata
        print(
            f"\n[usage]    {usage['input_tokens']} in, {usage['output_tokens']} out "
            f"({usage.get('output_token_details', {}).get('reasoning', 0)} reasoning)"
        )
