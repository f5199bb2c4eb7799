//! Coalesced waiting: the waits of one client that run at the same time
//! share their polls.
//!
//! A wait on a generation job or an export joins its client's pool (shared
//! by clones and by [`Client::with_options`] clients) once it knows the
//! job's project. Waits on the same kind of work in the same project form
//! a group. A group of one polls by id, exactly as a lone handle does; a
//! larger group is polled with one `list_generation_jobs` (or
//! `list_exports`) request per tick, 100 items a page, filtered by project
//! and by the oldest waiting job's creation time, and by type when every
//! waiting job has the same one. Further pages are read while waiting jobs
//! may be on them; a waiting job the listing does not show (the server
//! ignored a filter, say) is polled by id, so a result is never wrong,
//! only dearer.
//!
//! **When a group ticks.** Each wait says when it wants its next look: its
//! schedule's next step, or when its progress says the work will be done
//! (in a group this may be later than the schedule's maximum), never
//! earlier than the next look of the waiting job of the same type created
//! just before it (work started later finishes later), unless that is more
//! than the schedule's maximum away. It accepts the look up to one
//! schedule step late. The group ticks at the earliest moment that every
//! wait accepts: a burst of waits due at nearly the same time is served by
//! one request. A `Retry-After` the listing carries becomes every member's
//! next wait, and a deadline is never passed for a tick: the wait that runs
//! one gives it up at its own deadline (the group's next member due then
//! lists again), and a wait whose deadline passes while another runs one
//! has its last look by id.

use super::{Kind, Pollable, Sealed, Work};
use crate::Client;
use crate::error::{Error, ErrorKind};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Items per listing page: the most the API serves.
const PAGE: u32 = 100;

/// Where a job or an export is listed: its project, when it was created,
/// and its type (a job's type, an export's format).
#[derive(Debug, Clone)]
pub struct Listing {
    pub project: String,
    pub created_at: DateTime<Utc>,
    pub class: String,
}

/// When a wait wants its next look at its work.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Want {
    /// Its schedule's next poll (or the server's `Retry-After`).
    pub scheduled: Instant,
    /// When its progress says the work will be done, if it says.
    pub estimated: Option<Instant>,
    /// How late a look may come: the schedule's current step.
    pub slack: Duration,
    /// The latest a later job's wait may push this one: the schedule's maximum.
    pub cap: Instant,
    /// The wait's deadline.
    pub deadline: Option<Instant>,
}

/// What a wait gets at its next look.
#[derive(Debug, Clone)]
pub(crate) enum Seen {
    /// The state a listing showed.
    State(Box<Work>),
    /// The listing was refused with a 429: wait this long (the server's
    /// `Retry-After`) before the next look.
    Wait(Option<Duration>),
    /// Poll by id, now.
    Alone,
}

/// The waits of one client and its clones.
#[derive(Debug)]
pub(crate) struct Pool {
    state: Mutex<State>,
    /// Bumped when a tick ends or a group's next tick moves earlier.
    changed: watch::Sender<u64>,
}

impl Default for Pool {
    fn default() -> Self {
        Pool {
            state: Mutex::default(),
            changed: watch::Sender::new(0),
        }
    }
}

/// Waits on one kind of work in one project.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Group {
    kind: Kind,
    project: String,
}

#[derive(Debug, Default)]
struct State {
    entries: HashMap<u64, Entry>,
    next_key: u64,
    /// Groups whose tick is running.
    ticking: HashSet<Group>,
    /// Groups whose listing failed for good (no scope for it, say): their
    /// waits poll by id.
    unlistable: HashSet<Group>,
}

#[derive(Debug)]
struct Entry {
    group: Group,
    id: String,
    listing: Listing,
    /// `Some` while the wait is waiting for its next look.
    want: Option<Want>,
    /// The look a tick made for it, until the wait takes it.
    seen: Option<Seen>,
}

/// A waiting wait, as a tick sees it.
struct Member<'a> {
    key: u64,
    entry: &'a Entry,
    want: Want,
}

/// What a wait does next.
enum Step {
    Look(Seen),
    Sleep(Instant),
    Tick(Group, Vec<(u64, String, Listing)>),
}

impl Pool {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn bump(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Enters a wait on `id`, whose work `listing` describes.
    pub(crate) fn join(self: &Arc<Self>, kind: Kind, id: &str, listing: Listing) -> Ticket {
        let mut state = self.lock();
        let key = state.next_key;
        state.next_key += 1;
        let group = Group {
            kind,
            project: listing.project.clone(),
        };
        let entry = Entry {
            group,
            id: id.to_string(),
            listing,
            want: None,
            seen: None,
        };
        state.entries.insert(key, entry);
        Ticket {
            pool: self.clone(),
            key,
        }
    }
}

/// One wait's place in the pool; leaving it (on drop) ends the wait there.
#[derive(Debug)]
pub(crate) struct Ticket {
    pool: Arc<Pool>,
    key: u64,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.pool.lock().entries.remove(&self.key);
    }
}

impl Ticket {
    /// Waits for the next look at this wait's work, as `want` asks, ticking
    /// its group through `client` when that falls to this wait.
    pub(crate) async fn next(&self, client: &Client, want: Want) -> Seen {
        let mut changed = self.pool.changed.subscribe();
        let earlier = {
            let mut state = self.pool.lock();
            let group = state.entries[&self.key].group.clone();
            let before = tick_at(&state, &group);
            let entry = state.entries.get_mut(&self.key).expect("a joined wait");
            entry.want = Some(want);
            entry.seen = None;
            tick_at(&state, &group).is_some_and(|at| before.is_none_or(|b| at < b))
        };
        if earlier {
            self.pool.bump();
        }
        loop {
            match self.step(Instant::now()) {
                Step::Look(seen) => return seen,
                Step::Sleep(until) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(until.into()) => {}
                        _ = changed.changed() => {}
                    }
                }
                Step::Tick(group, members) => {
                    let claim = Claim {
                        pool: &self.pool,
                        group,
                    };
                    // The listing is bounded by this wait's own deadline:
                    // past it, the claim is let go (the next member due
                    // lists again) and this wait has its last look by id.
                    let listing = tick(client, &claim.group, &members);
                    let Some(looks) = super::by(want.deadline, listing).await else {
                        self.stop_waiting();
                        return Seen::Alone;
                    };
                    let mut state = self.pool.lock();
                    if looks.unlistable {
                        state.unlistable.insert(claim.group.clone());
                    }
                    for (key, id, _) in &members {
                        if let Some(entry) = state.entries.get_mut(key)
                            && entry.want.is_some()
                            && entry.seen.is_none()
                        {
                            entry.seen = Some(looks.for_id(id));
                        }
                    }
                }
            }
        }
    }

    /// Takes this wait out of the coming ticks until it asks again.
    fn stop_waiting(&self) {
        if let Some(entry) = self.pool.lock().entries.get_mut(&self.key) {
            entry.want = None;
        }
    }

    /// What this wait does at `now`.
    fn step(&self, now: Instant) -> Step {
        let mut state = self.pool.lock();
        let entry = state.entries.get_mut(&self.key).expect("a joined wait");
        if let Some(seen) = entry.seen.take() {
            entry.want = None;
            return Step::Look(seen);
        }
        let group = entry.group.clone();
        let own = entry.want.map(alone_due);
        let deadline = entry.want.and_then(|w| w.deadline);
        let members = members(&state, &group);
        if state.unlistable.contains(&group) || members.len() <= 1 {
            return match own {
                Some(due) if now < due => Step::Sleep(due),
                _ => {
                    let entry = state.entries.get_mut(&self.key).expect("a joined wait");
                    entry.want = None;
                    Step::Look(Seen::Alone)
                }
            };
        }
        if state.ticking.contains(&group) {
            // Woken when the running tick ends; a deadline that passes
            // first gets its last look by id, as a lone wait would.
            return match deadline {
                Some(deadline) if now >= deadline => {
                    let entry = state.entries.get_mut(&self.key).expect("a joined wait");
                    entry.want = None;
                    Step::Look(Seen::Alone)
                }
                _ => Step::Sleep(deadline.unwrap_or(now + Duration::from_secs(3600))),
            };
        }
        let Some(at) = tick_time(&members) else {
            return Step::Sleep(now + Duration::from_secs(3600));
        };
        if now < at {
            return Step::Sleep(at);
        }
        let chosen = members
            .iter()
            .map(|m| (m.key, m.entry.id.clone(), m.entry.listing.clone()))
            .collect();
        state.ticking.insert(group.clone());
        Step::Tick(group, chosen)
    }
}

/// A running tick of `group`; ending it (on drop, even when the wait is
/// dropped mid-tick) wakes the group's other waits.
struct Claim<'a> {
    pool: &'a Pool,
    group: Group,
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        self.pool.lock().ticking.remove(&self.group);
        self.pool.bump();
    }
}

/// When a lone wait looks: its schedule's next poll, or its estimate when
/// that is sooner, never past its deadline.
fn alone_due(want: Want) -> Instant {
    let due = want
        .estimated
        .map_or(want.scheduled, |e| e.min(want.scheduled));
    want.deadline.map_or(due, |d| due.min(d))
}

/// The waits of `group` waiting for a look.
fn members<'a>(state: &'a State, group: &Group) -> Vec<Member<'a>> {
    state
        .entries
        .iter()
        .filter(|(_, e)| e.group == *group && e.seen.is_none())
        .filter_map(|(key, entry)| {
            entry.want.map(|want| Member {
                key: *key,
                entry,
                want,
            })
        })
        .collect()
}

/// When `group` ticks next, if it has waits to serve.
fn tick_at(state: &State, group: &Group) -> Option<Instant> {
    let members = members(state, group);
    match members.as_slice() {
        [] => None,
        [one] => Some(alone_due(one.want)),
        _ => tick_time(&members),
    }
}

/// The earliest moment every member accepts as its look (see the module
/// docs); `None` without members.
fn tick_time(members: &[Member<'_>]) -> Option<Instant> {
    let mut order: Vec<&Member<'_>> = members.iter().collect();
    order.sort_by(|a, b| {
        (&a.entry.listing.class, a.entry.listing.created_at)
            .cmp(&(&b.entry.listing.class, b.entry.listing.created_at))
    });
    let wants = |m: &Member<'_>| m.want.estimated.unwrap_or(m.want.scheduled);
    let mut previous: Option<&Member<'_>> = None;
    let mut at: Option<Instant> = None;
    for member in order {
        let mut due = wants(member);
        if let Some(before) =
            previous.filter(|p| p.entry.listing.class == member.entry.listing.class)
        {
            due = due.max(wants(before).min(member.want.cap));
        }
        let mut latest = due + member.want.slack;
        if let Some(deadline) = member.want.deadline {
            latest = latest.min(deadline);
        }
        at = Some(at.map_or(latest, |a| a.min(latest)));
        previous = Some(member);
    }
    at
}

/// What one tick saw.
#[derive(Default)]
struct Looks {
    found: HashMap<String, Box<Work>>,
    /// A 429 refused the listing: every member waits this long.
    refused: Option<Option<Duration>>,
    /// The listing failed for good.
    unlistable: bool,
}

impl Looks {
    fn for_id(&self, id: &str) -> Seen {
        if let Some(wait) = self.refused {
            return Seen::Wait(wait);
        }
        self.found
            .get(id)
            .map_or(Seen::Alone, |work| Seen::State(work.clone()))
    }
}

/// Lists `members`' work in `group`, page after page while some of it may
/// be on the next page.
async fn tick(client: &Client, group: &Group, members: &[(u64, String, Listing)]) -> Looks {
    let wanted: HashSet<&str> = members.iter().map(|(_, id, _)| id.as_str()).collect();
    let mut looks = Looks::default();
    let Some(oldest) = members.iter().map(|(_, _, l)| l.created_at).min() else {
        return looks;
    };
    let first_class = &members[0].2.class;
    let class = members
        .iter()
        .all(|(_, _, l)| l.class == *first_class)
        .then_some(first_class.as_str());
    let pages = u32::try_from(members.len())
        .unwrap_or(u32::MAX)
        .div_ceil(PAGE)
        .saturating_add(1);
    let cap = client.inner.retry().retry_after_cap;
    for page in 1..=pages {
        let (items, total_pages) = match list(client, group, oldest, class, page).await {
            Ok(listed) => listed,
            Err(error) => {
                if let Some(wait) = super::refused(&error, cap) {
                    looks.refused = Some(wait);
                    return looks;
                }
                match error.kind() {
                    ErrorKind::Unauthorized
                    | ErrorKind::MissingScope { .. }
                    | ErrorKind::NotAvailableViaApiKey
                    | ErrorKind::Forbidden
                    | ErrorKind::NotFound
                    | ErrorKind::Validation { .. }
                    | ErrorKind::UndecodableResponse { .. } => looks.unlistable = true,
                    _ => {}
                }
                return looks;
            }
        };
        let older = items
            .last()
            .and_then(Work::listing)
            .is_none_or(|l| l.created_at < oldest);
        for item in items {
            let listed_here = item.listing().is_some_and(|l| l.project == group.project);
            if listed_here && wanted.contains(item.id()) {
                looks.found.insert(item.id().to_string(), Box::new(item));
            }
        }
        if looks.found.len() == wanted.len() || older || i64::from(page) >= total_pages {
            break;
        }
    }
    looks
}

/// One page of `group`'s listing, and how many pages the server says there are.
async fn list(
    client: &Client,
    group: &Group,
    oldest: DateTime<Utc>,
    class: Option<&str>,
    page: u32,
) -> Result<(Vec<Work>, i64), Error> {
    let (items, pagination) = match group.kind {
        Kind::Job => {
            let mut request = client
                .list_generation_jobs()
                .project_id(&group.project)
                .created_after(oldest)
                .limit(PAGE)
                .page(page);
            if let Some(class) = class {
                request = request.type_(class);
            }
            let listed = request.send().await?.into_inner();
            let items = listed.data.into_iter().map(Sealed::into_work).collect();
            (items, listed.pagination)
        }
        Kind::Export => {
            let listed = client
                .list_exports()
                .project_id(&group.project)
                .limit(PAGE)
                .page(page)
                .send()
                .await?
                .into_inner();
            let items = listed.data.into_iter().map(Sealed::into_work).collect();
            (items, listed.pagination)
        }
        // Renders have no listing (and never join a pool): nothing is found.
        Kind::Render => return Ok((Vec::new(), 0)),
    };
    Ok((items, i64::from(pagination.total_pages)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(class: &str, created_ms: i64, want: Want) -> Entry {
        Entry {
            group: Group {
                kind: Kind::Job,
                project: "prj_1".into(),
            },
            id: format!("job_{created_ms}"),
            listing: Listing {
                project: "prj_1".into(),
                created_at: DateTime::from_timestamp_millis(created_ms).unwrap(),
                class: class.into(),
            },
            want: Some(want),
            seen: None,
        }
    }

    fn want(now: Instant, scheduled_ms: u64, slack_ms: u64) -> Want {
        Want {
            scheduled: now + Duration::from_millis(scheduled_ms),
            estimated: None,
            slack: Duration::from_millis(slack_ms),
            cap: now + Duration::from_millis(10_000),
            deadline: None,
        }
    }

    fn tick(entries: Vec<Entry>) -> Option<Instant> {
        let mut state = State::default();
        for (key, entry) in entries.into_iter().enumerate() {
            state.entries.insert(key as u64, entry);
        }
        let group = state.entries[&0].group.clone();
        tick_at(&state, &group)
    }

    #[test]
    fn a_lone_wait_looks_at_its_own_time() {
        let now = Instant::now();
        let mut alone = want(now, 1000, 1000);
        alone.estimated = Some(now + Duration::from_millis(300));
        assert_eq!(
            tick(vec![entry("image", 0, alone)]),
            Some(now + Duration::from_millis(300))
        );
    }

    #[test]
    fn a_group_ticks_when_every_member_accepts() {
        let now = Instant::now();
        // Due at 100 ms (accepting up to 300) and at 250 ms (up to 260).
        let members = vec![
            entry("image", 0, want(now, 100, 200)),
            entry("video", 5, want(now, 250, 10)),
        ];
        assert_eq!(tick(members), Some(now + Duration::from_millis(260)));
    }

    #[test]
    fn a_later_job_of_the_same_type_waits_for_the_one_before_it() {
        let now = Instant::now();
        let mut older = want(now, 100, 0);
        older.estimated = Some(now + Duration::from_millis(5000));
        let newer = want(now, 20, 20);
        // The newer job's own schedule would tick at 40 ms; the older one
        // will not be done before 5 s, nor (probably) the newer one.
        let members = vec![entry("image", 0, older), entry("image", 5, newer)];
        assert_eq!(tick(members), Some(now + Duration::from_millis(5000)));
        // Unless that is further off than the newer wait's cap.
        let mut capped = newer;
        capped.cap = now + Duration::from_millis(500);
        let members = vec![entry("image", 0, older), entry("image", 5, capped)];
        assert_eq!(tick(members), Some(now + Duration::from_millis(520)));
    }

    #[test]
    fn a_deadline_is_never_passed_for_a_tick() {
        let now = Instant::now();
        let mut hurried = want(now, 1000, 1000);
        hurried.deadline = Some(now + Duration::from_millis(50));
        let members = vec![
            entry("image", 0, want(now, 1000, 1000)),
            entry("image", 5, hurried),
        ];
        assert_eq!(tick(members), Some(now + Duration::from_millis(50)));
    }
}
