"""Command line: ``python -m numopt demo [--quick] [--out DIR]`` and ``python -m numopt backends``."""
import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m numopt", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run every solver next to its peer and print a table")
    demo.add_argument("--quick", action="store_true", help="small problems (seconds)")
    demo.add_argument("--out", default=None, help="folder for convergence plots (PNG)")
    sub.add_parser("backends", help="show the optional backends available")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from ._demo import run_demo

        run_demo(quick=args.quick, out=args.out)
    else:
        from ._backends import show_backends

        show_backends()
    return 0


if __name__ == "__main__":
    sys.exit(main())
