// Package http provides dslrun's built-in `http` activity: one HTTP request
// (or a polled series of them) described by a step's `with:` value.
//
//	steps:
//	  - id: order
//	    activity: http
//	    with:
//	      method: POST
//	      url: ${ input.baseUrl + "/orders" }
//	      headers: {Authorization: {secret: API_TOKEN}}
//	      body: {json: {item: widget, quantity: 2}}
//
// The result is {status, headers, body}: body is the parsed JSON value when
// the response says it is JSON, its text otherwise. A status outside
// expectedStatus (2xx by default) fails the step with the application error
// type [StatusErrorType] ("HTTPStatus", the status in its details): 4xx is
// non-retryable except 408 and 429, 5xx and an unexpected 2xx (a 202 while
// a job runs) are retryable, and a Retry-After header sets the delay before
// the next attempt. Connection failures and
// request timeouts are retryable; a response larger than maxResponseBytes
// fails, non-retryable, rather than being truncated.
//
// # Secrets
//
// A header value, a form value, a text body or any value inside a JSON body
// may be {secret: NAME}. The worker resolves it when the request is made,
// from its environment variable DSLRUN_SECRET_<NAME>, else from the file
// $DSLRUN_SECRETS_DIR/<NAME> (one trailing newline removed). Only the
// reference travels through Temporal: the value is never in the step's
// input, its result, its heartbeats, its failures or the worker's logs, and
// expressions cannot read it.
//
// # Polling
//
// With poll: {interval, until, timeout} the activity repeats the request
// every interval, heartbeating, until the expr-lang condition until holds
// over the variable response ({status, headers, body}); it then returns
// that response. timeout bounds the whole poll (the failure is
// [PollTimeoutErrorType], non-retryable). A cancelled step stops at once.
//
// Importing the package (even blank) registers the activity in
// [activities.Default] from init, as the stock dslrun binary does;
// [Register] adds it to any other registry.
package http
