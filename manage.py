#!/usr/bin/env python
"""Django's command-line utility for StationNet."""

import os
import sys
from pathlib import Path


def main() -> None:
    # `platform/` is a source root (never a package): make it importable when running from a checkout.
    sys.path.insert(0, str(Path(__file__).resolve().parent / "platform"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stationnet.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
