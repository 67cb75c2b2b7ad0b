import sys

from mtdialog.cli import main

sys.exit(main())
