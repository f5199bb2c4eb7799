//! The voice library: premade voices and the caller's cloned ones.

use super::patch;
use crate::call::{Call, Reply};
use crate::error::ApiError;
use crate::store::Store;
use axum::http::StatusCode;
use chrono::Utc;
use studio_api::types::{self, VoiceCategory};
use studio_mock_media as artifacts;

/// Adds the premade voices every account starts with, each with a preview.
pub fn seed(store: &mut Store) {
    let premade = [
        ("Aria", "Warm, clear narrator", "en"),
        ("Bastien", "Calm documentary voice", "fr"),
        ("Kenji", "Energetic trailer voice", "ja"),
    ];
    for (n, (name, description, language)) in premade.into_iter().enumerate() {
        let preview = store.put_file("voc", "wav", "audio/wav", artifacts::wav(1.0, n as u64));
        let voice = types::Voice {
            id: format!("voc_{}", name.to_lowercase()),
            name: name.to_string(),
            category: VoiceCategory::Premade,
            description: Some(description.to_string()),
            language: Some(language.to_string()),
            preview_url: Some(preview),
            created_at: Utc::now(),
            unknown_fields: Default::default(),
        };
        store.voices.insert(voice.id.clone(), voice);
    }
}

pub fn list(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let page = call.page()?;
    let category: Option<VoiceCategory> = call.query_enum("category")?;
    let language = call.query("language");
    let voices: Vec<_> = store
        .voices
        .values()
        .filter(|v| category.as_ref().is_none_or(|c| v.category == *c))
        .filter(|v| language.is_none_or(|l| v.language.as_deref() == Some(l)))
        .collect();
    Ok(Reply::list(voices, page))
}

pub fn create(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let request: types::CreateVoiceRequest = call.json()?;
    if request.sample_asset_ids.is_empty() {
        return Err(ApiError::invalid(
            "sample_asset_ids",
            "At least one audio sample is required.",
        ));
    }
    for id in &request.sample_asset_ids {
        match store.assets.get(id.as_str()) {
            Some(asset) if asset.kind == types::AssetKind::Audio => {}
            _ => {
                return Err(ApiError::invalid(
                    "sample_asset_ids",
                    format!("The asset {} is not an uploaded audio file.", id.as_str()),
                ));
            }
        }
    }
    let preview = store.assets[request.sample_asset_ids[0].as_str()]
        .url
        .clone();
    let voice = types::Voice {
        id: store.id("voc"),
        name: request.name.to_string(),
        category: VoiceCategory::Cloned,
        description: request.description.map(String::from),
        language: None,
        preview_url: Some(preview),
        created_at: call.now,
        unknown_fields: Default::default(),
    };
    store.voices.insert(voice.id.clone(), voice.clone());
    Ok(Reply::created(voice))
}

/// The caller's voice by id; premade voices may be read but not changed.
fn voice<'a>(
    store: &'a Store,
    call: &Call<'_>,
    changing: bool,
) -> Result<&'a types::Voice, ApiError> {
    let voice = store
        .voices
        .get(call.param("voice_id"))
        .ok_or_else(|| ApiError::not_found("Voice"))?;
    if changing && voice.category == VoiceCategory::Premade {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "Premade voices cannot be changed or deleted.",
        ));
    }
    Ok(voice)
}

pub fn get(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    Ok(Reply::ok(voice(store, call, false)?.clone()))
}

pub fn update(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    voice(store, call, true)?;
    let request: types::UpdateVoiceRequest = call.json()?;
    let voice = store
        .voices
        .get_mut(call.param("voice_id"))
        .expect("checked above");
    if let Some(name) = request.name {
        voice.name = name.to_string();
    }
    patch(&mut voice.description, request.description);
    patch(&mut voice.language, request.language);
    Ok(Reply::ok(voice.clone()))
}

pub fn delete(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    voice(store, call, true)?;
    store.voices.remove(call.param("voice_id"));
    Ok(Reply::deleted("Voice deleted"))
}
