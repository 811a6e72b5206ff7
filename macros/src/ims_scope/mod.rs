//! `#[ims_scope(...)]`: argument parsing, validation and expansion.

mod args;
mod expand;
mod scope_uri;

use proc_macro2::TokenStream;

/// Expands the attribute; on errors the handler is re-emitted unchanged next to `compile_error!`s.
pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Vec::new();
    let requirement = args::parse(attr, &mut errors);
    let function = match syn::parse2::<syn::ItemFn>(item.clone()) {
        Ok(function) => function,
        Err(error) => {
            // Not a function at all: report and give the item back untouched.
            let message = format!(
                "#[ims_scope] goes on an `async fn` axum handler, not on this item ({error})"
            );
            let mut out = syn::Error::new(error.span(), message).to_compile_error();
            out.extend(errors.into_iter().map(|e| e.to_compile_error()));
            out.extend(item);
            return out;
        }
    };
    if function.sig.asyncness.is_none() {
        errors.push(syn::Error::new_spanned(
            function.sig.fn_token,
            "#[ims_scope] goes on an `async fn` axum handler; add `async`",
        ));
    }
    if let Some(receiver) = function.sig.receiver() {
        errors.push(syn::Error::new_spanned(
            receiver,
            "#[ims_scope] handlers are free functions; `self` cannot be extracted from a request",
        ));
    }
    if !errors.is_empty() {
        let mut out: TokenStream = errors.into_iter().map(|e| e.to_compile_error()).collect();
        out.extend(quote::quote!(#function));
        return out;
    }
    expand::expand(&requirement, function)
}

#[cfg(test)]
mod expansion_snapshots;
