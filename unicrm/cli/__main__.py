"""``python -m unicrm.cli``: the same as the ``unicrm`` script."""

from unicrm.cli import main

main()
