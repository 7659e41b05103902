//! The local Web PubSub-style hub and the demo backends (see issue 3).
