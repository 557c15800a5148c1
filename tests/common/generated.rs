//! Stack specs of many services, the size of a real platform, generated for the scale tests.

#![allow(dead_code)]

/// A spec of `n` services named `s000`…, each with an image by URI, a port and its own route
/// `/sNNN/*` behind the one load balancer, and every fifth calling the next through Service
/// Connect.
pub fn services(stack: &str, n: usize) -> String {
    let mut spec = format!("stack: {stack}\nregion: us-east-1\nload_balancer: {{ public: true, http: 80 }}\nservices:\n");
    for i in 0..n {
        spec.push_str(&format!(
            "  s{i:03}:\n    image: registry.example/{stack}/s{i:03}:v1\n    port: 8080\n    count: 1\n    routes: [ {{ path: \"/s{i:03}/*\" }} ]\n"
        ));
        if i % 5 == 0 && i + 1 < n {
            spec.push_str(&format!("    env: {{ NEXT_URL: \"${{service.s{:03}.url}}\" }}\n", i + 1));
        }
    }
    spec
}
