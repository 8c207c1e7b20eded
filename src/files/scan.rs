//! Asks a ClamAV daemon about an upload before it is accepted, over its socket with the
//! INSTREAM command (clamd(8)): the bytes go in chunks, each after its length as a 4-byte
//! big-endian number, ended by a zero length; clamd answers `stream: OK` or
//! `stream: NAME FOUND`. Blocking I/O: call it from the blocking pool.

use std::io::{Read, Seek, SeekFrom, Write};
use std::time::Duration;

use super::Clamd;
use crate::error::Error;

/// What clamd said of a file.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Clean,
    Infected(String),
}

const TIMEOUT: Duration = Duration::from_secs(120);

/// Scans `file`. A clamd that cannot be reached, or that fails to scan, is a 503: an upload
/// is never accepted unscanned once a scanner is configured.
pub fn scan(clamd: &Clamd, file: &mut std::fs::File) -> Result<Verdict, Error> {
    let unavailable =
        |e: std::io::Error| Error::Unavailable(format!("the virus scanner cannot be reached: {e}"));
    let answer = match clamd {
        Clamd::Socket(path) => {
            let mut s = std::os::unix::net::UnixStream::connect(path).map_err(unavailable)?;
            s.set_read_timeout(Some(TIMEOUT)).map_err(unavailable)?;
            s.set_write_timeout(Some(TIMEOUT)).map_err(unavailable)?;
            instream(&mut s, file).map_err(unavailable)?
        }
        Clamd::Tcp(addr) => {
            let mut s = std::net::TcpStream::connect(addr).map_err(unavailable)?;
            s.set_read_timeout(Some(TIMEOUT)).map_err(unavailable)?;
            s.set_write_timeout(Some(TIMEOUT)).map_err(unavailable)?;
            instream(&mut s, file).map_err(unavailable)?
        }
    };
    verdict(&answer)
}

fn instream<S: Read + Write>(s: &mut S, file: &mut std::fs::File) -> std::io::Result<String> {
    file.seek(SeekFrom::Start(0))?;
    s.write_all(b"zINSTREAM\0")?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        s.write_all(&(n as u32).to_be_bytes())?;
        s.write_all(&buf[..n])?;
    }
    s.write_all(&0u32.to_be_bytes())?;
    s.flush()?;
    let mut answer = Vec::new();
    s.read_to_end(&mut answer)?;
    Ok(String::from_utf8_lossy(&answer)
        .trim_end_matches(['\0', '\n'])
        .to_string())
}

fn verdict(answer: &str) -> Result<Verdict, Error> {
    let body = answer.strip_prefix("stream: ").unwrap_or(answer);
    if body == "OK" {
        Ok(Verdict::Clean)
    } else if let Some(name) = body.strip_suffix(" FOUND") {
        Ok(Verdict::Infected(name.to_string()))
    } else {
        // `INSTREAM size limit exceeded. ERROR` and the like: not scanned, so not accepted.
        Err(Error::Unavailable(format!(
            "the virus scanner could not scan the file: {answer}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamd_answers_are_read() {
        assert_eq!(verdict("stream: OK").unwrap(), Verdict::Clean);
        assert_eq!(
            verdict("stream: Eicar-Test-Signature FOUND").unwrap(),
            Verdict::Infected("Eicar-Test-Signature".into())
        );
        assert!(matches!(
            verdict("INSTREAM size limit exceeded. ERROR"),
            Err(Error::Unavailable(_))
        ));
    }

    #[test]
    fn an_unreachable_scanner_refuses_the_upload() {
        let mut f = tempfile::tempfile().unwrap();
        let e = scan(&Clamd::Socket("/nonexistent/clamd.sock".into()), &mut f).unwrap_err();
        assert!(matches!(e, Error::Unavailable(_)), "{e}");
    }
}
