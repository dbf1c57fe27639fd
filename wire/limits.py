"""Size limits of the contract, in one place so both sides agree."""

MAX_MESSAGE_BYTES = 64 * 1024
MAX_TEXT = 2000  # summary, feedback text, reasons
MAX_SHORT = 200  # addresses, names
MAX_RECEIPT_IDS = 500
