"""python -m layoutgen."""

from layoutgen.cli import main

main()
