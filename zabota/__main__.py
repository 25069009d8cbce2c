"""The `zabota` console script: Django's management commands under the project's name."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zabota.settings")
    from django.core.management import execute_from_command_line

    args = sys.argv[1:]
    # Commands are spelled with dashes on the command line (`zabota api-token`); Django names
    # them after their modules, which use underscores.
    if args and not args[0].startswith("-"):
        args[0] = args[0].replace("-", "_")
    execute_from_command_line(["zabota", *args])


if __name__ == "__main__":
    main()
