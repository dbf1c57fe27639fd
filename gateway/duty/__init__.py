"""What the duty room does with an order: 签收 (acknowledge), 到场 (arrival by the button,
the kiosk or the GPS), 反馈 (feedback), device tests; and the alarm that follows them."""
