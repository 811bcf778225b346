"""The `ironstar` command: serve, rebuild projections, seed demo data, run benchmarks."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from ironstar.settings import Settings, load_settings


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handler = args.handler
    result: int = handler(args)
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ironstar", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve the app")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    _data_dir(serve)
    serve.add_argument(
        "--dev", action="store_true", default=None, help="dev mode (reload, no-store)"
    )
    serve.set_defaults(handler=_serve)

    projections = commands.add_parser("projections", help="manage projections")
    actions = projections.add_subparsers(required=True, metavar="ACTION")
    rebuild = actions.add_parser("rebuild", help="rebuild one projection, or all")
    rebuild.add_argument("name", nargs="?", default=None)
    _data_dir(rebuild)
    rebuild.set_defaults(handler=_rebuild)

    seed = commands.add_parser("seed-demo", help="write demo events through the command path")
    seed.add_argument("--events", type=int, default=10_000)
    seed.add_argument("--seed", type=int, default=7, help="random seed, for repeatable data")
    _data_dir(seed)
    seed.set_defaults(handler=_seed_demo)
    return parser


def _data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, default=None, help="data folder (default ./data)")


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        data_dir=args.data_dir,
        dev=getattr(args, "dev", None),
    )


def _serve(args: argparse.Namespace) -> int:
    from ironstar.server import serve

    settings = _settings(args)
    serve(settings)
    return 0


def _rebuild(args: argparse.Namespace) -> int:
    from ironstar.maintenance import rebuild_projections

    settings = _settings(args)
    return rebuild_projections(settings, args.name)


def _seed_demo(args: argparse.Namespace) -> int:
    from ironstar.maintenance import seed_demo

    settings = _settings(args)
    return seed_demo(settings, events=args.events, seed=args.seed)


if __name__ == "__main__":
    raise SystemExit(main())
