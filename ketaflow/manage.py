"""The `ketaflow` console script: Django's management entry point for this project.

`ketaflow migrate`, `ketaflow runserver`, `ketaflow score …` and every other management
command go through here, so a deployment needs no manage.py file.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaflow.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv if argv is not None else sys.argv)


if __name__ == "__main__":
    main()
