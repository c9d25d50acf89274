// A stand-in for Stripe.js (https://js.stripe.com/v3/), served by the local Stripe imitation for
// browser tests: Stripe(publishableKey).elements({clientSecret}).create("payment").mount(selector)
// draws a plain card form, and confirmPayment({elements, confirmParams: {return_url}, redirect})
// confirms the payment intent with the publishable key, as Stripe.js does, then follows the
// 3-D Secure page or the redirect to return_url.
(function () {
  "use strict";
  var API_BASE = __API_BASE__;
  var TEST_CARDS = __TEST_CARDS__;

  function form(data) {
    return Object.keys(data).filter(function (k) { return data[k] != null; }).map(function (k) {
      return encodeURIComponent(k) + "=" + encodeURIComponent(data[k]);
    }).join("&");
  }

  function intentId(clientSecret) { return String(clientSecret || "").split("_secret_")[0]; }

  function withQuery(url, params) { return url + (url.indexOf("?") < 0 ? "?" : "&") + form(params); }

  function PaymentElement(elements) {
    this._elements = elements;
    this._handlers = {};
    this._root = null;
  }
  PaymentElement.prototype.mount = function (target) {
    var root = typeof target === "string" ? document.querySelector(target) : target;
    root.innerHTML =
      '<div class="stripe-payment-element" data-testid="stripe-payment-element">' +
      '<label>Card number <input id="stripe-card-number" name="cardnumber" autocomplete="cc-number" inputmode="numeric"></label>' +
      '<label>Expiry <input id="stripe-card-expiry" name="exp-date" placeholder="MM / YY"></label>' +
      '<label>CVC <input id="stripe-card-cvc" name="cvc"></label>' +
      '<div id="stripe-card-error" role="alert"></div></div>';
    this._root = root;
    var self = this;
    root.querySelector("#stripe-card-number").addEventListener("input", function () { self._emit("change", {complete: self._number() in TEST_CARDS}); });
    setTimeout(function () { self._emit("ready", {}); }, 0);
  };
  PaymentElement.prototype.unmount = function () { if (this._root) { this._root.innerHTML = ""; this._root = null; } };
  PaymentElement.prototype.on = function (name, handler) { (this._handlers[name] = this._handlers[name] || []).push(handler); return this; };
  PaymentElement.prototype._emit = function (name, event) { (this._handlers[name] || []).forEach(function (h) { h(event); }); };
  PaymentElement.prototype._number = function () {
    return this._root ? this._root.querySelector("#stripe-card-number").value.replace(/\s+/g, "") : "";
  };
  PaymentElement.prototype._showError = function (message) {
    if (this._root) { this._root.querySelector("#stripe-card-error").textContent = message || ""; }
  };

  function Elements(stripe, options) {
    this._stripe = stripe;
    this._options = options || {};
    this._payment = null;
  }
  Elements.prototype.create = function (type) {
    if (type !== "payment") { throw new Error("This Stripe.js stand-in only draws the Payment Element"); }
    this._payment = new PaymentElement(this);
    return this._payment;
  };
  Elements.prototype.getElement = function (type) { return type === "payment" ? this._payment : null; };
  Elements.prototype.submit = function () {
    var error = this._validate();
    return Promise.resolve(error ? {error: error} : {});
  };
  Elements.prototype._validate = function () {
    var number = this._payment ? this._payment._number() : "";
    if (!number) { return {type: "validation_error", code: "incomplete_number", message: "Your card number is incomplete."}; }
    if (!(number in TEST_CARDS)) { return {type: "validation_error", code: "invalid_number", message: "Your card number is invalid."}; }
    return null;
  };

  function Stripe(publishableKey) {
    if (!(this instanceof Stripe)) { return new Stripe(publishableKey); }
    if (!publishableKey || publishableKey.indexOf("pk_") !== 0) { throw new Error("Stripe(): a publishable key (pk_…) is required"); }
    this._key = publishableKey;
  }
  Stripe.prototype.elements = function (options) { return new Elements(this, options); };

  Stripe.prototype._call = function (method, path, data) {
    var url = API_BASE + path;
    var init = {method: method, headers: {}};
    if (method === "GET") { url = withQuery(url, data); }
    else { init.body = form(data); init.headers["Content-Type"] = "application/x-www-form-urlencoded"; }
    return fetch(url, init).then(function (response) { return response.json(); });
  };

  Stripe.prototype.retrievePaymentIntent = function (clientSecret) {
    return this._call("GET", "/v1/payment_intents/" + intentId(clientSecret), {key: this._key, client_secret: clientSecret})
      .then(function (body) { return body.error ? {error: body.error} : {paymentIntent: body}; });
  };

  Stripe.prototype.confirmPayment = function (options) {
    var elements = options.elements;
    var clientSecret = options.clientSecret || (elements && elements._options.clientSecret);
    var confirmParams = options.confirmParams || {};
    var redirect = options.redirect || "always";
    var invalid = elements ? elements._validate() : {type: "validation_error", message: "elements is required"};
    if (invalid) {
      if (elements && elements._payment) { elements._payment._showError(invalid.message); }
      return Promise.resolve({error: invalid});
    }
    var paymentMethod = TEST_CARDS[elements._payment._number()];
    return this._call("POST", "/v1/payment_intents/" + intentId(clientSecret) + "/confirm", {
      key: this._key, client_secret: clientSecret, payment_method: paymentMethod, return_url: confirmParams.return_url
    }).then(function (body) {
      if (body.error) {
        elements._payment._showError(body.error.message);
        return {error: body.error};
      }
      if (body.status === "requires_action" && body.next_action && body.next_action.type === "redirect_to_url") {
        window.location.assign(body.next_action.redirect_to_url.url);
        return new Promise(function () {});  // the page is going away, as with Stripe.js
      }
      if (redirect === "if_required" || !confirmParams.return_url) { return {paymentIntent: body}; }
      window.location.assign(withQuery(confirmParams.return_url, {
        payment_intent: body.id, payment_intent_client_secret: clientSecret, redirect_status: "succeeded"
      }));
      return new Promise(function () {});
    });
  };

  window.Stripe = Stripe;
})();
