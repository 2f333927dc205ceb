"""A Deep Agents harness profile for ``ChatGLM``: ``register_glm_profile()``.

Deep Agents (``deepagents``) shapes an agent per model through *harness profiles*: a system-prompt
suffix, tool-description overrides, excluded tools and extra middleware, looked up by the
provider and model a chat model reports. ``ChatGLM`` reports the provider ``zhipuai``
(``_get_ls_params``), for which Deep Agents ships no profile, so GLM agents get only the
caller's prompt. Deep Agents' public registry (``deepagents.register_harness_profile``, beta
since 0.7) takes one; this module registers a GLM one.

Setup:
    ``pip install "glm-integrations[langchain]" deepagents``.

Use:
    .. code-block:: python

        from deepagents import create_deep_agent

        from langchain_glm import ChatGLM
        from langchain_glm.deepagents import register_glm_profile

        register_glm_profile()  # every ChatGLM model; register_glm_profile("glm-5.4") for one
        agent = create_deep_agent(model=ChatGLM(model="glm-5.3", reasoning_effort="high"))

Pass the ``ChatGLM`` instance: a ``"zhipuai:glm-5.3"`` string makes LangChain's
``init_chat_model`` build the community ``ChatZhipuAI``, not ``ChatGLM``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from deepagents import HarnessProfile

__all__ = ["GLM_PROMPT_SUFFIX", "PROVIDER", "register_glm_profile"]

PROVIDER = "zhipuai"
"""The provider ``ChatGLM`` reports to LangSmith and Deep Agents (``ls_provider``)."""

# Our own wording. What it stresses comes from what GLM agents were seen to do: GLM-5.2/5.3 think
# at max effort by default and agents ended on an empty final message (issue 23); Deep Agents'
# GLM-5.2 evaluation (langchain-ai/deepagents#4529, not merged) found planning first, batching
# independent tool calls and verifying before finishing to help, and long deliberation to hurt.
GLM_PROMPT_SUFFIX = """\
## Working with tools

- Plan briefly, then act: prefer calling a tool to deliberating about what it would return.
- Make independent tool calls together in one turn; call tools one after another only when a
  call needs an earlier result.
- Stay within what was asked; do not change files or state the task does not need.
- Before you finish, check the result (read back what you wrote, run what you changed).
- End every turn that calls no tool with your answer written out in plain text; never end on an
  empty message."""
"""The system-prompt suffix :func:`register_glm_profile` registers by default."""


def register_glm_profile(
    model: str | None = None,
    profile: HarnessProfile | None = None,
    *,
    system_prompt_suffix: str | None = GLM_PROMPT_SUFFIX,
    **fields: Any,
) -> str:
    """Register a Deep Agents harness profile for ``ChatGLM`` models.

    Deep Agents merges registrations under one key (scalar fields: the newer wins; excluded tools
    and middleware: union), and a model's profile inherits its provider's. Register before
    ``create_deep_agent``.

    Args:
        model: One GLM model (``"glm-5.4"``: key ``zhipuai:glm-5.4``, matched against
            ``ChatGLM.model_name``), or ``None`` for every ``ChatGLM`` model (key ``zhipuai``).
        profile: A ready ``deepagents.HarnessProfile`` to register as it is; ``system_prompt_suffix``
            and ``fields`` are then ignored.
        system_prompt_suffix: Appended to the agent's system prompt (and its subagents');
            :data:`GLM_PROMPT_SUFFIX` by default, ``None`` for none.
        **fields: Other ``HarnessProfile`` fields (``tool_description_overrides``,
            ``excluded_tools``, ``extra_middleware`` ...).

    Returns:
        The registry key used (``"zhipuai"`` or ``"zhipuai:<model>"``).

    Raises:
        ImportError: deepagents is not installed.
    """
    try:
        from deepagents import HarnessProfile, register_harness_profile
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("register_glm_profile needs Deep Agents: pip install deepagents") from exc
    key = PROVIDER if model is None else f"{PROVIDER}:{model}"
    if profile is None:
        profile = HarnessProfile(system_prompt_suffix=system_prompt_suffix, **fields)
    register_harness_profile(key, profile)
    return key
