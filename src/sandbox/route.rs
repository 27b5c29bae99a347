//! Routing a request to the operation that serves it, as an HTTP server's router does.
//!
//! A path can fit several templates (`/secrets/{name}` and `/secrets/{idOrName}`, or an
//! exact path and a template): the most specific one that has the request's method wins, so
//! a sibling template with other methods never hides the one that serves it. A path that
//! fits some template but none with the method is a 405 whose `Allow` names every method
//! the fitting templates serve. Operations that share a template and a method (AWS's
//! `POST /` for every operation) are told apart by their constant parameters
//! (`contract::Constant`): the one whose constants the request carries, the most of them
//! first; a request that carries none's is a 404. It knows nothing of what an endpoint does.

use crate::contract::wire::RequestShape;
use http::Method;
use std::collections::HashMap;
use std::sync::Arc;

/// Where a request goes.
pub(super) enum Route<'a, E> {
    /// The endpoint that serves the path and method.
    Found(&'a E),
    /// The path is served, not with this method: the methods that are, in routing order.
    WrongMethod(Vec<&'a Method>),
    /// No template fits the path.
    NotFound,
}

/// The served endpoints by full path, and the templated paths, most specific first.
pub(super) struct Table<E> {
    by_path: HashMap<String, Vec<E>>,
    /// Path templates with parameters: (shape, key into `by_path`).
    templates: Vec<(Arc<RequestShape>, String)>,
}

impl<E> Default for Table<E> {
    fn default() -> Self {
        Table {
            by_path: HashMap::new(),
            templates: Vec::new(),
        }
    }
}

impl<E> Table<E> {
    /// Serve `endpoint` at `path` (the full path, base path included); `template` is the
    /// operation's shape when its path has parameters.
    pub(super) fn insert(
        &mut self,
        path: String,
        template: Option<&Arc<RequestShape>>,
        endpoint: E,
    ) {
        if let Some(shape) = template {
            if !self.templates.iter().any(|(_, key)| *key == path) {
                self.templates.push((Arc::clone(shape), path.clone()));
            }
        }
        self.by_path.entry(path).or_default().push(endpoint);
    }

    /// Order the templates, most literal characters first (a stable sort: among equals, the
    /// first declared wins). Call once, after the last insert.
    pub(super) fn finish(&mut self) {
        self.templates
            .sort_by_key(|(shape, _)| std::cmp::Reverse(shape.literal_len()));
    }

    /// The endpoint for `path` (relative to the server's root, `relative` without the base
    /// path) and `method`, `method_of` telling each endpoint's method and `carried` how many
    /// constants of an endpoint the request carries (`None`: not all of them).
    pub(super) fn find<'a>(
        &'a self,
        path: &str,
        relative: Option<&str>,
        method: &Method,
        method_of: impl Fn(&E) -> &Method,
        carried: impl Fn(&E) -> Option<usize>,
    ) -> Route<'a, E> {
        let fitting = self.fitting(path, relative);
        if fitting.is_empty() {
            return Route::NotFound;
        }
        let mut allowed: Vec<&Method> = Vec::new();
        for endpoints in fitting {
            let mut with_method = endpoints
                .iter()
                .filter(|e| method_of(e) == method)
                .peekable();
            if with_method.peek().is_some() {
                // Among equals, the first declared wins (`max_by_key` keeps the last).
                let best = with_method
                    .filter_map(|e| carried(e).map(|n| (n, e)))
                    .rev()
                    .max_by_key(|(n, _)| *n);
                return best.map_or(Route::NotFound, |(_, e)| Route::Found(e));
            }
            for endpoint in endpoints {
                if !allowed.contains(&method_of(endpoint)) {
                    allowed.push(method_of(endpoint));
                }
            }
        }
        Route::WrongMethod(allowed)
    }

    /// The endpoint lists whose path fits: the exact path first, then every template that
    /// fits, most specific first.
    fn fitting(&self, path: &str, relative: Option<&str>) -> Vec<&Vec<E>> {
        let exact = self.by_path.get(path);
        let templated = self
            .templates
            .iter()
            .filter(|(shape, _)| relative.is_some_and(|r| shape.matches_path(r)))
            .filter_map(|(_, key)| self.by_path.get(key));
        exact.into_iter().chain(templated).collect()
    }
}
