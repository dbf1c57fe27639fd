"""The MQTT side: the link to the broker, the uplink (what terminals send: topic, verify,
dedupe, then one call into `hub.dispatch`), delivery of the outbox and receipts, unit
certificates and revocation, and network enrollment."""
