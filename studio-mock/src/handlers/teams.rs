//! Teams, their members and invites.

use super::set;
use crate::call::{Call, Reply};
use crate::error::ApiError;
use crate::store::Store;
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use studio_api::types::{self, InviteStatus, TeamRole};

/// How long an invite stays open.
const INVITE_LIFETIME_DAYS: i64 = 7;

fn team<'a>(store: &'a Store, call: &Call<'_>) -> Result<&'a types::Team, ApiError> {
    store
        .teams
        .get(call.param("team_id"))
        .ok_or_else(|| ApiError::not_found("Team"))
}

pub fn list(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let page = call.page()?;
    let mine: Vec<_> = store
        .teams
        .values()
        .filter(|t| {
            store
                .members
                .contains_key(&(t.id.clone(), call.user.id.clone()))
        })
        .collect();
    Ok(Reply::list(mine, page))
}

pub fn create(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let request: types::CreateTeamRequest = call.json()?;
    let team = types::Team {
        id: store.id("team"),
        name: request.name.to_string(),
        owner_id: call.user.id.clone(),
        member_count: 1,
        created_at: call.now,
        updated_at: call.now,
        unknown_fields: Default::default(),
    };
    let owner = types::TeamMember {
        user_id: call.user.id.clone(),
        name: call.user.name.clone(),
        email: call.user.email.clone(),
        role: TeamRole::Owner,
        joined_at: call.now,
        unknown_fields: Default::default(),
    };
    store
        .members
        .insert((team.id.clone(), owner.user_id.clone()), owner);
    store.teams.insert(team.id.clone(), team.clone());
    Ok(Reply::created(team))
}

pub fn get(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    Ok(Reply::ok(team(store, call)?.clone()))
}

pub fn update(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    team(store, call)?;
    let request: types::UpdateTeamRequest = call.json()?;
    let team = store
        .teams
        .get_mut(call.param("team_id"))
        .expect("checked above");
    set(&mut team.name, request.name);
    team.updated_at = call.now;
    Ok(Reply::ok(team.clone()))
}

pub fn delete(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let id = team(store, call)?.id.clone();
    store.teams.remove(&id);
    store.members.retain(|(team, _), _| *team != id);
    store.invites.retain(|_, invite| invite.team_id != id);
    for project in store.projects.values_mut() {
        if project.team_id.as_deref() == Some(id.as_str()) {
            project.team_id = None;
        }
    }
    Ok(Reply::deleted("Team deleted"))
}

pub fn list_members(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let page = call.page()?;
    let id = team(store, call)?.id.clone();
    let members: Vec<_> = store
        .members
        .iter()
        .filter(|((team, _), _)| *team == id)
        .map(|(_, member)| member)
        .collect();
    Ok(Reply::list(members, page))
}

fn member_key(store: &Store, call: &Call<'_>) -> Result<(String, String), ApiError> {
    let team = team(store, call)?.id.clone();
    let key = (team, call.param("user_id").to_string());
    if !store.members.contains_key(&key) {
        return Err(ApiError::not_found("Team member"));
    }
    Ok(key)
}

pub fn update_member(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let key = member_key(store, call)?;
    let request: types::UpdateTeamMemberRequest = call.json()?;
    let member = store.members.get_mut(&key).expect("checked above");
    if member.role == TeamRole::Owner || request.role == TeamRole::Owner {
        return Err(ApiError::invalid(
            "role",
            "The owner's role cannot be changed or given.",
        ));
    }
    member.role = request.role;
    Ok(Reply::ok(member.clone()))
}

pub fn remove_member(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let key = member_key(store, call)?;
    if store.members[&key].role == TeamRole::Owner {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "The team owner cannot be removed.",
        ));
    }
    store.members.remove(&key);
    if let Some(team) = store.teams.get_mut(&key.0) {
        team.member_count -= 1;
        team.updated_at = call.now;
    }
    Ok(Reply::deleted("Member removed"))
}

/// Marks pending invites whose time has passed as expired.
fn expire_invites(store: &mut Store) {
    let now = Utc::now();
    for invite in store.invites.values_mut() {
        if invite.status == InviteStatus::Pending && invite.expires_at <= now {
            invite.status = InviteStatus::Expired;
        }
    }
}

pub fn list_invites(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let page = call.page()?;
    let id = team(store, call)?.id.clone();
    expire_invites(store);
    let invites: Vec<_> = store
        .invites
        .values()
        .rev()
        .filter(|i| i.team_id == id)
        .collect();
    Ok(Reply::list(invites, page))
}

pub fn create_invite(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let id = team(store, call)?.id.clone();
    let request: types::CreateInviteRequest = call.json()?;
    if !request.email.contains('@') {
        return Err(ApiError::invalid(
            "email",
            "The email must be a valid email address.",
        ));
    }
    if request.role == TeamRole::Owner {
        return Err(ApiError::invalid(
            "role",
            "An invite cannot make someone the owner.",
        ));
    }
    expire_invites(store);
    let email = request.email.to_lowercase();
    if store
        .members
        .iter()
        .any(|((team, _), m)| *team == id && m.email.to_lowercase() == email)
    {
        return Err(ApiError::invalid(
            "email",
            "That person is already a member of the team.",
        ));
    }
    if store.invites.values().any(|i| {
        i.team_id == id && i.status == InviteStatus::Pending && i.email.to_lowercase() == email
    }) {
        return Err(ApiError::invalid(
            "email",
            "A pending invite for this email already exists.",
        ));
    }
    let invite = types::Invite {
        id: store.id("inv"),
        team_id: id,
        email: request.email.into(),
        role: request.role,
        status: InviteStatus::Pending,
        expires_at: call.now + Duration::days(INVITE_LIFETIME_DAYS),
        created_at: call.now,
        unknown_fields: Default::default(),
    };
    store.invites.insert(invite.id.clone(), invite.clone());
    Ok(Reply::created(invite))
}

pub fn revoke_invite(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let team = team(store, call)?.id.clone();
    expire_invites(store);
    let invite = store
        .invites
        .get_mut(call.param("invite_id"))
        .filter(|i| i.team_id == team)
        .ok_or_else(|| ApiError::not_found("Invite"))?;
    if invite.status != InviteStatus::Pending {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "Only pending invites can be revoked; this one is {}.",
                invite.status
            ),
        ));
    }
    invite.status = InviteStatus::Revoked;
    Ok(Reply::deleted("Invite revoked"))
}

/// Turns a pending invite into a membership, as the invitee accepting it
/// would. Returns the new member's user id.
pub fn accept_invite(store: &mut Store, invite_id: &str) -> Option<String> {
    expire_invites(store);
    let invite = store
        .invites
        .get_mut(invite_id)
        .filter(|i| i.status == InviteStatus::Pending)?;
    invite.status = InviteStatus::Accepted;
    let invite = invite.clone();
    let user_id = format!("usr_{}", invite.id.trim_start_matches("inv_"));
    let member = types::TeamMember {
        user_id: user_id.clone(),
        name: invite
            .email
            .split('@')
            .next()
            .unwrap_or_default()
            .to_string(),
        email: invite.email,
        role: invite.role,
        joined_at: Utc::now(),
        unknown_fields: Default::default(),
    };
    store
        .members
        .insert((invite.team_id.clone(), user_id.clone()), member);
    if let Some(team) = store.teams.get_mut(&invite.team_id) {
        team.member_count += 1;
    }
    Some(user_id)
}
