"""The way to the hub: the MQTT link, the outbox and its sender, the signer of reports."""
