"""A `release-host hooks-greet NAME [--shout]` sub-command, for `test_hook_register_commands`."""

from host import database, hookimpl


def greet(host, args) -> int:
    """Runs inside a database connection (the host opens none otherwise: autoconnect is off)."""
    answer = database.execute_sql("SELECT 41 + 1").fetchone()[0]
    text = f"hello {args.name}, the database says {answer}, context {host.context}"
    print(text.upper() if args.shout else text)
    return 3 if args.name == "fail" else 0


@hookimpl
def register_commands(host, subparsers):
    parser = subparsers.add_parser("hooks-greet", help="say hello (a sample plugin's command)")
    parser.add_argument("name")
    parser.add_argument("--shout", action="store_true")
    parser.set_defaults(handler=greet)
