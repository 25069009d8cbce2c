"""`python -m zabota …` is the `zabota` console script."""

from zabota.cli import main

if __name__ == "__main__":
    main()
