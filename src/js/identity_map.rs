//! The identity map and the loading protocol of ARCHITECTURE.md.
//!
//! Each `Repository` keeps `oid → Entry`, touched only on its JS thread. An
//! entry holds the JS object (a napi reference: strong while `interest > 0`,
//! weak otherwise), the interest count (pending promises and batches), and while
//! a load is under way a shared [`Slot`] that whoever loads it fills.
//!
//! A slot is `Pending` (queued, nobody working), `Loading` (claimed by a running
//! thread), `Done` or `Failed`. A worker first claims and loads every pending
//! slot it was given, then waits for the ones others claimed; the main thread
//! claims a pending slot and loads it inline, and waits only on a slot a running
//! worker holds. Workers never wait on the main thread, and a thread waits only
//! once it has finished all it claimed, so no cycle of waits can form.


use std::ptr;
use std::sync::Arc;

use napi::sys;
use parking_lot::{Condvar, Mutex};

use crate::core::error::Error as CoreError;
use crate::core::object::{Kind, Object};
use crate::core::oid::{ObjectId, OidMap};

/// Where a load stands.
pub enum State {
    Pending,
    Loading,
    Done(Arc<Object>),
    Failed(CoreError),
}

/// The meeting point of everyone interested in one load.
pub struct Slot {
    gate: Mutex<State>,
    ready: Condvar,
}

impl Slot {
    /// A fresh, unclaimed slot.
    pub fn new() -> Arc<Slot> {
        Arc::new(Slot { gate: Mutex::new(State::Pending), ready: Condvar::new() })
    }

    /// Claim the load if nobody has; true if the caller must now load and deposit.
    pub fn try_claim(&self) -> bool {
        let mut g = self.gate.lock();
        if matches!(*g, State::Pending) {
            *g = State::Loading;
            true
        } else {
            false
        }
    }

    /// Publish the result (`initialization_done`) and wake every waiter.
    pub fn deposit(&self, r: std::result::Result<Arc<Object>, CoreError>) {
        let mut g = self.gate.lock();
        *g = match r {
            Ok(o) => State::Done(o),
            Err(e) => State::Failed(e),
        };
        self.ready.notify_all();
    }

    /// Wait for the result. Only call on a slot a running thread has claimed.
    pub fn wait(&self) -> std::result::Result<Arc<Object>, CoreError> {
        let mut g = self.gate.lock();
        loop {
            match &*g {
                State::Done(o) => return Ok(o.clone()),
                State::Failed(e) => return Err(e.clone()),
                State::Pending | State::Loading => self.ready.wait(&mut g),
            }
        }
    }
}

/// Load every slot: claim and load the unclaimed ones, then wait for the others.
pub fn run_loads(load: &dyn Fn(&ObjectId) -> std::result::Result<Arc<Object>, CoreError>, loads: &[(ObjectId, Arc<Slot>)]) {
    for (oid, slot) in loads {
        if slot.try_claim() {
            slot.deposit(crate::js::error::guard(|| load(oid)));
        }
    }
    for (_, slot) in loads {
        let _ = slot.wait();
    }
}

/// A promise waiting for an entry's load.
pub struct Waiter {
    pub deferred: sys::napi_deferred,
    /// `getCommit` and friends want one kind: anything else is `ERR_OBJECT_TYPE`.
    pub expect: Option<Kind>,
}

/// One oid's place in the map.
pub struct Entry {
    /// The JS object, once made; null before. Strong while `interest > 0`.
    pub obj: sys::napi_ref,
    /// The kind of the object behind `obj`.
    pub kind: Kind,
    /// Pending promises and batches that need this entry; they keep the object alive.
    pub interest: u32,
    /// The load under way, until its owner's completion has run.
    pub slot: Option<Arc<Slot>>,
    /// Single reads to settle when the owner's load completes.
    pub waiters: Vec<Waiter>,
}

impl Default for Entry {
    fn default() -> Self {
        Entry { obj: ptr::null_mut(), kind: Kind::Blob, interest: 0, slot: None, waiters: Vec::new() }
    }
}

/// The map itself.
#[derive(Default)]
pub struct IdentityMap {
    pub entries: OidMap<Entry>,
    /// Sweep dead entries when the map grows past this.
    pub sweep_at: usize,
}

impl IdentityMap {
    /// The live JS object of `e`, if it has one that has not been collected.
    pub fn live(env: sys::napi_env, e: &Entry) -> Option<sys::napi_value> {
        if e.obj.is_null() {
            return None;
        }
        let mut v = ptr::null_mut();
        // SAFETY: e.obj was created on this env's thread and not deleted.
        unsafe { sys::napi_get_reference_value(env, e.obj, &mut v) };
        (!v.is_null()).then_some(v)
    }

    /// Change an entry's interest, making its reference strong or weak to match.
    pub fn add_interest(env: sys::napi_env, e: &mut Entry, delta: i64) {
        let old = e.interest;
        let new = (old as i64 + delta).max(0) as u32;
        e.interest = new;
        if e.obj.is_null() {
            return;
        }
        let mut c = 0;
        // SAFETY: e.obj is a live reference of this env.
        unsafe {
            if old == 0 && new > 0 {
                sys::napi_reference_ref(env, e.obj, &mut c);
            } else if old > 0 && new == 0 {
                sys::napi_reference_unref(env, e.obj, &mut c);
            }
        }
    }

    /// Point `e` at a new JS object, dropping any dead reference.
    pub fn set_object(env: sys::napi_env, e: &mut Entry, v: sys::napi_value, kind: Kind) {
        // SAFETY: references are created and deleted on this env's thread.
        unsafe {
            if !e.obj.is_null() {
                sys::napi_delete_reference(env, e.obj);
            }
            let mut r = ptr::null_mut();
            sys::napi_create_reference(env, v, if e.interest > 0 { 1 } else { 0 }, &mut r);
            e.obj = r;
        }
        e.kind = kind;
    }

    /// Drop entries whose objects were collected and that nobody waits for.
    pub fn sweep(&mut self, env: sys::napi_env) {
        let mut scope = ptr::null_mut();
        // SAFETY: a handle scope around the reference look-ups, closed below.
        unsafe { sys::napi_open_handle_scope(env, &mut scope) };
        self.entries.retain(|_, e| {
            if e.interest > 0 || e.slot.is_some() || IdentityMap::live(env, e).is_some() {
                return true;
            }
            if !e.obj.is_null() {
                // SAFETY: the reference belongs to this env and is dropped with the entry.
                unsafe { sys::napi_delete_reference(env, e.obj) };
            }
            false
        });
        // SAFETY: closes the scope opened above.
        unsafe { sys::napi_close_handle_scope(env, scope) };
        self.sweep_at = (self.entries.len() * 2).max(4096);
    }

    /// Sweep if the map has grown enough since the last sweep.
    pub fn maybe_sweep(&mut self, env: sys::napi_env) {
        if self.entries.len() > self.sweep_at.max(4096) {
            self.sweep(env);
        }
    }
}
