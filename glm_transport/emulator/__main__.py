"""``python -m glm_transport.emulator --port 8000 [--script FILE]``: serve the GLM emulator.

It serves until interrupted; ``--script`` answers with scripted replies (JSON or YAML, see
``.script``).
"""

from __future__ import annotations

import argparse


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve the emulator until interrupted."""
    parser = argparse.ArgumentParser(
        description="Local GLM API emulator (chat, embeddings, rerank)"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--api-key", default=None, help="require this Bearer key")
    parser.add_argument("--script", default=None, help="scripted replies, a JSON or YAML file")
    args = parser.parse_args(argv)
    import uvicorn

    from glm_transport.emulator.app import create_app
    from glm_transport.emulator.script import Script

    script = Script.load(args.script) if args.script else None

    print(f"GLM emulator on http://{args.host}:{args.port}/api/paas/v4 (Ctrl-C to stop)")
    uvicorn.run(
        create_app(args.api_key, script),
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )


if __name__ == "__main__":
    main()
