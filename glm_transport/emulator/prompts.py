"""What the emulator reads out of prompts, pure.

Arguments from a JSON schema and the user's words, JSON replies that follow what a prompt asks for,
ReAct turns, retrieval answers.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = [
    "example_args",
    "framework_json",
    "json_reply",
    "rag_answer",
    "react_reply",
    "text_of",
    "word_hints",
]


def text_of(content: Any) -> str:
    """The text of a message's ``content``: the string, or its text parts joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def example_args(
    schema: dict[str, Any], defs: dict[str, Any], name: str, hints: dict[str, list[Any]]
) -> Any:
    """A plausible value for ``schema``: from ``hints`` (used up), else a stock one or ``name``."""
    if "$ref" in schema:
        schema = defs.get(schema["$ref"].rsplit("/", 1)[-1], {})
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            return example_args(options[0] if options else {}, defs, name, hints)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "object":
        props = schema.get("properties", {})
        return {k: example_args(v, defs, k, hints) for k, v in props.items()}
    if kind == "array":
        return [example_args(schema.get("items", {}), defs, name, hints)]
    if kind == "integer":
        return int(hints["numbers"].pop(0)) if hints["numbers"] else 2
    if kind == "number":
        return float(hints["numbers"].pop(0)) if hints["numbers"] else 2.5
    if kind == "boolean":
        return True
    return hints["words"][0] if hints["words"] else name


def word_hints(text: str) -> dict[str, list[Any]]:
    """Numbers, quoted strings and capitalised words from ``text``: candidate tool arguments."""
    numbers = list(re.findall(r"-?\d+(?:\.\d+)?", text))
    # Single-quoted strings, then capitalised words not opening a sentence (a place, a name), make
    # plausible string arguments.
    words = re.findall(r"'([^']{2,60})'", text)
    words += re.findall(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-zA-Z]+\b", text.strip())
    return {"numbers": numbers, "words": words}


def _find_schema(prompt: str) -> dict[str, Any] | None:
    start = prompt.find("{")
    while start >= 0:
        try:
            schema, _ = json.JSONDecoder().raw_decode(prompt[start:])
        except ValueError:
            schema = None
        if isinstance(schema, dict) and "properties" in schema:
            return schema
        start = prompt.find("{", start + 1)
    return None


def json_reply(messages: list[dict[str, Any]], answer: str) -> str:
    """JSON mode: follow a schema or the quoted keys the prompt asks for, else {"answer": ...}."""
    prompt = " ".join(text_of(m.get("content")) for m in messages)
    # Prompt templates sometimes leave their brace escapes in ("{{" for "{").
    schema = _find_schema(prompt) or _find_schema(prompt.replace("{{", "{").replace("}}", "}"))
    if schema is not None:
        value = example_args(schema, schema.get("$defs", {}), "answer", word_hints(prompt))
        return json.dumps(value, ensure_ascii=False)
    keys = re.findall(r"'([a-z_]{2,30})'", prompt)
    if keys:
        return json.dumps({k: f"{k} ({answer[:40]})" for k in dict.fromkeys(keys)})
    return json.dumps({"answer": answer}, ensure_ascii=False)


def rag_answer(text: str) -> str | None:
    """Retrieval prompts (context, then "Query:"): answer with the best-matching context sentence.

    The sentence that shares the most words with the query wins, so RAG demos show retrieval at
    work.
    """
    if "Query:" not in text or "Context information" not in text:
        return None
    query = text.rsplit("Query:", 1)[1].split("\n", 1)[0].strip()
    lines = text.split("Query:", 1)[0].splitlines()
    # Drop the template's own lines, metadata ("file_path: ...") and headings; rejoin wrapped text.
    kept = [
        ln.strip()
        for ln in lines
        if ln.strip()
        and not re.match(r"\s*(\w+: |#|-{3,})", ln)
        and not ln.startswith(("Context information", "Given the context"))
    ]
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", " ".join(kept)) if s]
    words = {w.lower() for w in re.findall(r"\w{3,}", query)}
    if not sentences:
        return None
    best = max(sentences, key=lambda s: len(words & {w.lower() for w in re.findall(r"\w{3,}", s)}))
    return f"From the retrieved context: {best}"


_REACT_TOOL = re.compile(r"> Tool Name: (\S+)\nTool Description: .*?\nTool Args: (\{.*?\})\n", re.S)


def react_reply(messages: list[dict[str, Any]]) -> str | None:
    """ReAct agents describe tools in the system prompt and expect Thought/Action/Answer text.

    Each described tool is used once, in order, then the observations are summarised.
    """
    system = text_of(messages[0].get("content")) if messages[0].get("role") == "system" else ""
    tools = _REACT_TOOL.findall(system)
    if not tools or "Action Input" not in system:
        return None
    texts = [text_of(m.get("content")) for m in messages[1:]]
    observations = [t[len("Observation:") :].strip() for t in texts if t.startswith("Observation:")]
    question = next(
        (t for t in reversed(texts) if not t.startswith(("Observation:", "Thought:"))), ""
    )
    if len(observations) < len(tools):
        name, args_schema = tools[len(observations)]
        try:
            schema = json.loads(args_schema)
        except ValueError:
            schema = {}
        args = example_args(schema, schema.get("$defs", {}), name, word_hints(question))
        return (
            f"Thought: The current language of the user is: English. I need to use a tool to "
            f"help me answer the question.\nAction: {name}\nAction Input: {json.dumps(args)}"
        )
    return (
        "Thought: I can answer without using any more tools. I'll use the user's language to "
        f"answer\nAnswer: Based on the tools: {'; '.join(observations)}."
    )


_CHOICES = re.compile(r"numbered list \(1 to (\d+)\)")
_CHOICE_ITEM = re.compile(r"^\((\d+)\) (.+)$", re.M)
_QUERY = re.compile(r"relevant to the question: '(.*)'", re.S)


def _overlap(a: str, b: str) -> int:
    return len(set(re.findall(r"\w+", a.lower())) & set(re.findall(r"\w+", b.lower())))


def framework_json(prompt: str) -> str | None:
    """Prompts in which a framework asks for JSON in free text, answered in the shape it parses.

    Handled: LlamaIndex's selectors (a numbered list of choices) and sub-question generator (tools
    and a user question, ```json``` out).
    """
    found = _CHOICES.search(prompt)
    if found:
        query = _QUERY.search(prompt)
        items = _CHOICE_ITEM.findall(prompt)
        if items:
            best = max(items, key=lambda it: _overlap(it[1], query.group(1) if query else ""))
            reason = f"It is the most relevant to the question: {best[1][:80]}"
            return json.dumps([{"choice": int(best[0]), "reason": reason}])
    if "<Tools>" in prompt and "<User Question>" in prompt and "sub_question" in prompt:
        tools_part = prompt.rsplit("<Tools>", 1)[1].split("<User Question>", 1)[0]
        question = prompt.rsplit("<User Question>", 1)[1].split("<Output>", 1)[0].strip()
        try:
            tools = json.loads(tools_part.strip().strip("`").removeprefix("json").strip())
        except ValueError:
            return None
        if not isinstance(tools, dict) or not tools:
            return None
        items = [{"sub_question": question, "tool_name": name} for name in tools]
        return "```json\n" + json.dumps({"items": items}, indent=2) + "\n```"
    return None
