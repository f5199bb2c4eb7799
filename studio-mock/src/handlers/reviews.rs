//! Comments and review decisions on frames.

use super::set;
use crate::call::{Call, Reply};
use crate::error::ApiError;
use crate::store::Store;
use studio_api::types;

fn author(call: &Call<'_>) -> types::Person {
    types::Person {
        id: call.user.id.clone(),
        name: call.user.name.clone(),
        unknown_fields: Default::default(),
    }
}

pub fn list_comments(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let page = call.page()?;
    let frame = call.param("frame_id");
    store.frame(frame)?;
    let comments: Vec<_> = store
        .comments
        .values()
        .filter(|c| c.frame_id == frame)
        .collect();
    Ok(Reply::list(comments, page))
}

pub fn create_comment(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let frame = call.param("frame_id");
    store.frame(frame)?;
    let request: types::CreateCommentRequest = call.json()?;
    let comment = types::Comment {
        id: store.id("cmt"),
        frame_id: frame.to_string(),
        author: author(call),
        body: request.body.to_string(),
        resolved: false,
        created_at: call.now,
        updated_at: call.now,
        unknown_fields: Default::default(),
    };
    store.comments.insert(comment.id.clone(), comment.clone());
    Ok(Reply::created(comment))
}

fn comment_id(store: &Store, call: &Call<'_>) -> Result<String, ApiError> {
    let frame = call.param("frame_id");
    store.frame(frame)?;
    let id = call.param("comment_id");
    match store.comments.get(id) {
        Some(comment) if comment.frame_id == frame => Ok(id.to_string()),
        _ => Err(ApiError::not_found("Comment")),
    }
}

pub fn update_comment(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let id = comment_id(store, call)?;
    let request: types::UpdateCommentRequest = call.json()?;
    let comment = store.comments.get_mut(&id).expect("checked above");
    set(&mut comment.body, request.body);
    set(&mut comment.resolved, request.resolved);
    comment.updated_at = call.now;
    Ok(Reply::ok(comment.clone()))
}

pub fn delete_comment(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let id = comment_id(store, call)?;
    store.comments.remove(&id);
    Ok(Reply::deleted("Comment deleted"))
}

pub fn list_reviews(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let page = call.page()?;
    let frame = call.param("frame_id");
    store.frame(frame)?;
    let reviews: Vec<_> = store
        .reviews
        .values()
        .rev()
        .filter(|r| r.frame_id == frame)
        .collect();
    Ok(Reply::list(reviews, page))
}

pub fn create_review(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let frame = call.param("frame_id");
    store.frame(frame)?;
    let request: types::CreateReviewRequest = call.json()?;
    let review = types::Review {
        id: store.id("rev"),
        frame_id: frame.to_string(),
        reviewer: author(call),
        decision: request.decision,
        note: request.note.map(String::from),
        created_at: call.now,
        unknown_fields: Default::default(),
    };
    store.reviews.insert(review.id.clone(), review.clone());
    Ok(Reply::created(review))
}
