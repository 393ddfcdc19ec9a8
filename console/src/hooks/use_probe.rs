//! Opening the console: is each mode signed in? The cookie is `HttpOnly`, so only the API
//! can say: `GET /v1/account` in each mode answers with the account or with a 401.

use yew::prelude::*;

use crate::api::{Api, ApiError};
use crate::model::{Account, Action, Mode, Shell};

#[derive(serde::Deserialize)]
struct AccountObject {
    id: String,
    #[serde(default)]
    branding: Option<Branding>,
}

#[derive(serde::Deserialize)]
struct Branding {
    #[serde(default)]
    display_name: Option<String>,
}

/// The account a mode's console session acts for, as the header shows it.
pub async fn read_account(api: &Api) -> Result<Account, ApiError> {
    let account: AccountObject = api.get("/v1/account").await?;
    let name = account
        .branding
        .and_then(|b| b.display_name)
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| account.id.clone());
    Ok(Account {
        id: account.id,
        name,
    })
}

/// Asks both modes once, when the console opens.
#[hook]
pub fn use_probe(shell: &UseReducerHandle<Shell>) {
    let shell = shell.clone();
    use_effect_with((), move |()| {
        for mode in [Mode::Test, Mode::Live] {
            // A 401 here only means "not signed in yet": no message for it.
            let (shell, api) = (shell.clone(), Api::new(mode, Callback::noop()));
            wasm_bindgen_futures::spawn_local(async move {
                let account = read_account(&api).await.ok();
                shell.dispatch(Action::Probed { mode, account });
            });
        }
    });
}
