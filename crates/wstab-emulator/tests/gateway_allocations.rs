//! Allocations on the gateway's per-connection paths (issue 16.4: malloc and free were a large
//! share of the gateway's CPU per handshake). Counted on the test's own thread by a counting
//! allocator, so other tests running beside it do not count.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use http::{HeaderMap, HeaderValue};
use wstab_emulator::gateway::jwt::{JwtPolicy, SigningKey};
use wstab_emulator::gateway::metrics::{Flow, Metrics};

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

/// The system allocator, counting allocations (and reallocations) per thread.
struct Counting;

// SAFETY: every call is passed on to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// How many allocations `f` made on this thread.
fn allocations<R>(f: impl FnOnce() -> R) -> (u64, R) {
    let before = ALLOCATIONS.with(Cell::get);
    let out = f();
    (ALLOCATIONS.with(Cell::get) - before, out)
}

#[test]
fn test_counting_for_a_known_api_allocates_nothing() {
    let metrics = Metrics::default();
    // The first count of each kind creates the API's entries.
    metrics.handshake("echo", 101);
    metrics.active("echo", 1);
    metrics.relayed("echo", Flow::ClientToBackend, 1, 4);
    let (n, ()) = allocations(|| {
        metrics.handshake("echo", 101);
        metrics.active("echo", 1);
        metrics.active("echo", -1);
        metrics.relayed("echo", Flow::ClientToBackend, 1, 4);
    });
    assert_eq!(n, 0, "a handshake, a connection opened and closed, a read relayed");
    let text = metrics.render();
    assert!(text.contains("wstab_gateway_handshakes_total{api=\"echo\",status=\"101\"} 2"), "{text}");
    assert!(text.contains("wstab_gateway_connections_active{api=\"echo\"} 1"), "{text}");
    assert!(text.contains("wstab_gateway_messages_total{api=\"echo\",direction=\"client_to_backend\"} 2"), "{text}");
}

#[test]
fn test_a_jwt_check_without_required_claims_does_not_build_the_claims() {
    let secret = b"an HS256 secret of some length!!";
    let key = SigningKey::Symmetric { id: None, base64: base64::engine::general_purpose::STANDARD.encode(secret) };
    let audiences = ["api://wstab".to_string()];
    let issuers = ["https://issuer.test".to_string()];
    let policy = JwtPolicy::from_apim_keys(&[key], &audiences, &issuers, true, 0).unwrap();
    let exp = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() + 3600;
    let claims = serde_json::json!({
        "aud": "api://wstab", "iss": "https://issuer.test", "exp": exp,
        "sub": "someone", "name": "Some One", "roles": ["reader", "writer"],
    });
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
    .unwrap();
    let mut headers = HeaderMap::new();
    headers.insert("authorization", HeaderValue::from_str(&format!("Bearer {token}")).unwrap());

    let (as_value, claims) = allocations(|| policy.validate_token(&token));
    assert_eq!(claims.unwrap()["sub"], "someone");
    let (checked, result) = allocations(|| policy.check(&[], &headers));
    assert_eq!(result, Ok(()));
    // The check still verifies everything validate_token does (see the jwt tests); it only
    // skips building the claims as a JSON value, since no required claim reads them.
    assert!(checked < as_value, "check: {checked} allocations; claims as a value: {as_value}");
}
