import sys

from tribune.app import main

sys.exit(main())
