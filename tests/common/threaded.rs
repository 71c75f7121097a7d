//! A server on 127.0.0.1 that serves every connection on a thread of its own until it is
//! stopped, then waits for each: for the tests that look at all that a run sent.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

pub struct Threaded {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<Vec<JoinHandle<()>>>>,
}

impl Threaded {
    pub fn start(serve: impl Fn(TcpStream) + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let st = Arc::clone(&stop);
        let serve = Arc::new(serve);
        let accept = std::thread::spawn(move || {
            let mut conns = Vec::new();
            for stream in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { break };
                let serve = Arc::clone(&serve);
                conns.push(std::thread::spawn(move || serve(stream)));
            }
            conns
        });
        Self {
            addr,
            stop,
            accept: Some(accept),
        }
    }

    /// Stop accepting, and wait for every connection to end (a panic in one fails the test).
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(accept) = self.accept.take() {
            for conn in accept.join().unwrap() {
                conn.join().unwrap();
            }
        }
    }
}
