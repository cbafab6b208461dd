// The post editor's live counts, problems and previews are the composer's now
// (cms/static/cms/composer.js, answered by cms.composer with the same cards the
// approvers see). This file stays empty until the hook that loads it on every admin page
// (publishing/wagtail_hooks.py, live_counter_js) is removed; the check endpoint
// (/admin/publishing/check/) still answers whoever calls it.
