//! Serving WebSocket upgrades over hyper, shared by the gateway, the hub and the demo backends
//! (see issue 3).
