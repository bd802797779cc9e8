// Tests for the HTTP server: a real client over loopback.
