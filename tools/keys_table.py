"""Print the README's key table ("In the room: keys") from the key map, kapdesk/ui/keymap.py.

Usage: python tools/keys_table.py  — paste the output over the table in README.md; a test
(tests/test_keymap.py) fails while the two differ.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kapdesk.ui.keymap import readme_table  # noqa: E402

if __name__ == "__main__":
    sys.stdout.write(readme_table())
