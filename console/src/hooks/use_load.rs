//! Loading a page's data: one async call per change of its inputs, the answer kept until
//! the next, and a reload that keeps the old answer on screen while it runs.

use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;

use yew::prelude::*;

use crate::api::ApiError;

/// Where a page's data is.
pub enum Load<T> {
    Loading,
    Ready(Rc<T>),
    Failed(ApiError),
}

impl<T> Clone for Load<T> {
    fn clone(&self) -> Self {
        match self {
            Self::Loading => Self::Loading,
            Self::Ready(value) => Self::Ready(Rc::clone(value)),
            Self::Failed(error) => Self::Failed(error.clone()),
        }
    }
}

impl<T> PartialEq for Load<T> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Loading, Self::Loading) => true,
            (Self::Ready(a), Self::Ready(b)) => Rc::ptr_eq(a, b),
            (Self::Failed(a), Self::Failed(b)) => a == b,
            _ => false,
        }
    }
}

impl<T> Load<T> {
    /// The page's `data-loaded`: the answer arrived, whatever it was.
    pub fn is_done(&self) -> bool {
        !matches!(self, Self::Loading)
    }

    pub fn ready(&self) -> Option<&T> {
        match self {
            Self::Ready(value) => Some(value),
            _ => None,
        }
    }

    pub fn error(&self) -> Option<&ApiError> {
        match self {
            Self::Failed(error) => Some(error),
            _ => None,
        }
    }
}

/// A page's data and the way to read it again.
pub struct Loaded<T> {
    pub state: Load<T>,
    /// Reads again with the same inputs; the last answer stays until the new one arrives.
    pub reload: Callback<()>,
}

/// Runs `load(deps)` when the component mounts and whenever `deps` changes (the state goes
/// back to `Loading` then), and on `reload` (the state stays). An answer that arrives after
/// a newer call started is dropped.
#[hook]
pub fn use_load<T, D, F, Fut>(deps: D, load: F) -> Loaded<T>
where
    T: 'static,
    D: PartialEq + Clone + 'static,
    F: FnOnce(D) -> Fut + 'static,
    Fut: Future<Output = Result<T, ApiError>> + 'static,
{
    let state = use_state(|| Load::<T>::Loading);
    let reloads = use_state(|| 0_u32);
    let latest = use_memo((), |()| Cell::new(0_u32));
    let last_deps = use_mut_ref(|| None::<D>);
    {
        let state = state.clone();
        use_effect_with((deps, *reloads), move |(deps, _)| {
            let changed = last_deps.borrow().as_ref() != Some(deps);
            if changed {
                *last_deps.borrow_mut() = Some(deps.clone());
                if state.is_done() {
                    state.set(Load::Loading);
                }
            }
            let call = latest.get().wrapping_add(1);
            latest.set(call);
            let answer = load(deps.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let answer = answer.await;
                if latest.get() == call {
                    state.set(match answer {
                        Ok(value) => Load::Ready(Rc::new(value)),
                        Err(error) => Load::Failed(error),
                    });
                }
            });
        });
    }
    let reload = Callback::from(move |()| reloads.set(reloads.wrapping_add(1)));
    Loaded {
        state: (*state).clone(),
        reload,
    }
}
