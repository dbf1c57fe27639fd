"""What the terminal says about itself: metrics, health and the status the kiosk shows."""
