//! Outbound HTTP as a parameter: the Workers glue passes a client over
//! `worker::Fetch`, tests pass a scripted one. Request building and response
//! reading stay pure and runtime-free.

use std::future::Future;

/// An HTTP request, independent of any runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// What came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub body: String,
}

/// Sends requests. `Err` is a transport failure (no HTTP answer at all).
pub trait HttpClient {
    fn send(&self, request: HttpRequest) -> impl Future<Output = Result<HttpResponse, String>>;
}

#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    use std::cell::RefCell;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    /// A client that records requests and answers from a script.
    pub struct Scripted {
        pub sent: RefCell<Vec<HttpRequest>>,
        pub answers: RefCell<Vec<Result<HttpResponse, String>>>,
    }

    impl Scripted {
        pub fn new(answers: Vec<Result<HttpResponse, String>>) -> Self {
            Scripted {
                sent: RefCell::new(Vec::new()),
                answers: RefCell::new(answers),
            }
        }
    }

    impl HttpClient for Scripted {
        async fn send(&self, request: HttpRequest) -> Result<HttpResponse, String> {
            self.sent.borrow_mut().push(request);
            self.answers.borrow_mut().remove(0)
        }
    }

    /// Runs a future that never waits (all test doubles answer at once).
    pub fn ready<F: Future>(f: F) -> F::Output {
        let mut f = pin!(f);
        match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(v) => v,
            Poll::Pending => panic!("a test future waited"),
        }
    }
}
