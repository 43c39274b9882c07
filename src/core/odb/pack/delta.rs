//! Applying a git delta: two varint sizes (base, result), then copy
//! (`1xxxxxxx` + offset/size bytes) and insert (`0nnnnnnn` + n bytes) commands.
//! Every command is checked against the base and the declared result size before
//! anything is allocated.

/// Read a delta size varint at `*pos`.
pub fn varint(d: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let c = *d.get(*pos)?;
        *pos += 1;
        if shift > 63 {
            return None;
        }
        v |= ((c & 0x7f) as u64) << shift;
        shift += 7;
        if c & 0x80 == 0 {
            return Some(v);
        }
    }
}

/// The (base size, result size) a delta declares.
pub fn sizes(delta: &[u8]) -> Option<(u64, u64, usize)> {
    let mut pos = 0;
    let b = varint(delta, &mut pos)?;
    let r = varint(delta, &mut pos)?;
    Some((b, r, pos))
}

enum Op {
    Copy(usize, usize),
    Insert(usize, usize),
}

fn ops(delta: &[u8], mut pos: usize, mut f: impl FnMut(Op) -> Result<(), String>) -> Result<(), String> {
    while pos < delta.len() {
        let cmd = delta[pos];
        pos += 1;
        if cmd & 0x80 != 0 {
            let mut off = 0usize;
            let mut size = 0usize;
            for i in 0..4 {
                if cmd & (1 << i) != 0 {
                    off |= (*delta.get(pos).ok_or("truncated delta copy")? as usize) << (8 * i);
                    pos += 1;
                }
            }
            for i in 0..3 {
                if cmd & (0x10 << i) != 0 {
                    size |= (*delta.get(pos).ok_or("truncated delta copy")? as usize) << (8 * i);
                    pos += 1;
                }
            }
            if size == 0 {
                size = 0x10000;
            }
            f(Op::Copy(off, size))?;
        } else if cmd != 0 {
            let n = cmd as usize;
            if pos + n > delta.len() {
                return Err("truncated delta insert".into());
            }
            f(Op::Insert(pos, n))?;
            pos += n;
        } else {
            return Err("delta opcode 0 is reserved".into());
        }
    }
    Ok(())
}

/// Apply `delta` to `base`, writing the result to `out` (cleared first).
pub fn apply(base: &[u8], delta: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    let (bsize, rsize, start) = sizes(delta).ok_or("truncated delta header")?;
    if bsize != base.len() as u64 {
        return Err(format!("delta expects a base of {bsize} bytes, base has {}", base.len()));
    }
    // First pass: validate every command and add up the result.
    let mut total: u64 = 0;
    ops(delta, start, |op| {
        let n = match op {
            Op::Copy(off, size) => {
                if off.checked_add(size).map_or(true, |e| e > base.len()) {
                    return Err(format!("delta copies {size} bytes at {off}, beyond its {}-byte base", base.len()));
                }
                size
            }
            Op::Insert(_, n) => n,
        };
        total += n as u64;
        if total > rsize {
            return Err(format!("delta produces more than its declared {rsize} bytes"));
        }
        Ok(())
    })?;
    if total != rsize {
        return Err(format!("delta produces {total} bytes, declared {rsize}"));
    }
    out.clear();
    out.try_reserve_exact(rsize as usize).map_err(|_| format!("cannot allocate {rsize} bytes"))?;
    ops(delta, start, |op| {
        match op {
            Op::Copy(off, size) => out.extend_from_slice(&base[off..off + size]),
            Op::Insert(p, n) => out.extend_from_slice(&delta[p..p + n]),
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_and_checks() {
        let base = b"0123456789";
        // base 10, result 7: copy 3 bytes from 2, insert "xyz", copy 1 from 9
        let d = [10, 7, 0x80 | 0x01 | 0x10, 2, 3, 3, b'x', b'y', b'z', 0x80 | 0x01 | 0x10, 9, 1];
        let mut out = Vec::new();
        apply(base, &d, &mut out).expect("applies");
        assert_eq!(out, b"234xyz9");
        // copy beyond the base
        let bad = [10, 3, 0x80 | 0x01 | 0x10, 9, 3];
        assert!(apply(base, &bad, &mut out).is_err());
        // a declared 2^40-byte result is refused without allocating it
        let mut huge = vec![10];
        let mut v: u64 = 1 << 40;
        while v >= 0x80 {
            huge.push((v as u8 & 0x7f) | 0x80);
            v >>= 7;
        }
        huge.push(v as u8);
        huge.extend_from_slice(&[0x80 | 0x01 | 0x10, 0, 1]);
        assert!(apply(base, &huge, &mut out).is_err());
        // wrong base size, reserved opcode
        assert!(apply(b"short", &d, &mut out).is_err());
        assert!(apply(base, &[10, 1, 0], &mut out).is_err());
    }
}
