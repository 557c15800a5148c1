//! Stack specs of many services, the size of a real platform, generated for the scale tests.

#![allow(dead_code)]

/// A spec of `n` services named `s000`…, each with an image by URI, a port and its own route
/// `/sNNN/*`, spread over the named load balancers (`lbs`; the one `load_balancer:` when
/// empty, internal from the second on), every fifth calling the next through Service
/// Connect, and, with several balancers, every tenth a canary (one balancer of 100 services
/// has no room under the default quota of 100 target groups for a canary's second).
pub fn services_on(stack: &str, n: usize, lbs: &[&str]) -> String {
    let mut spec = format!("stack: {stack}\nregion: us-east-1\n");
    if lbs.is_empty() {
        spec.push_str("load_balancer: { public: true, http: 80 }\n");
    } else {
        spec.push_str("load_balancers:\n");
        for (i, lb) in lbs.iter().enumerate() {
            spec.push_str(&format!("  {lb}: {{ public: {}, http: 80 }}\n", i == 0));
        }
    }
    spec.push_str("services:\n");
    for i in 0..n {
        spec.push_str(&format!(
            "  s{i:03}:\n    image: registry.example/platform/s{i:03}:v1\n    port: 8080\n    count: 2\n    routes: [ {{ path: \"/s{i:03}/*\" }} ]\n"
        ));
        if !lbs.is_empty() {
            spec.push_str(&format!("    load_balancer: {}\n", lbs[i % lbs.len()]));
        }
        if i % 5 == 0 && i + 1 < n {
            spec.push_str(&format!("    env: {{ NEXT_URL: \"${{service.s{:03}.url}}\" }}\n", i + 1));
        }
        if i % 10 == 3 && !lbs.is_empty() {
            spec.push_str("    deploy: { strategy: canary, canary: { steps: [50, 100], bake: 1s } }\n");
        }
    }
    spec
}

/// `services_on` with the one `load_balancer:`.
pub fn services(stack: &str, n: usize) -> String {
    services_on(stack, n, &[])
}
