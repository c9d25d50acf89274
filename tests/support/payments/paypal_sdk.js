// A stand-in for the PayPal JS SDK (https://www.paypal.com/sdk/js?client-id=…), served by the local
// PayPal imitation for browser tests: paypal.Buttons({createOrder, onApprove, onCancel, onError})
// .render(selector) draws a PayPal button; a click calls createOrder(), shows the buyer's approval
// panel in place of PayPal's popup, approves the order at the imitation, then calls onApprove().
(function () {
  "use strict";
  var API_BASE = __API_BASE__;
  var CLIENT_ID = __CLIENT_ID__;

  function approve(orderID) {
    return fetch(API_BASE + "/sdk/orders/" + encodeURIComponent(orderID) + "/approve", {
      method: "POST", headers: {"Content-Type": "text/plain"}, body: JSON.stringify({client_id: CLIENT_ID})
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) { throw new Error((body.details && body.details[0].description) || body.message); }
        return body;
      });
    });
  }

  function Buttons(options) {
    if (!(this instanceof Buttons)) { return new Buttons(options); }
    this._options = options || {};
  }
  Buttons.prototype.isEligible = function () { return true; };
  Buttons.prototype.render = function (target) {
    var root = typeof target === "string" ? document.querySelector(target) : target;
    if (!root) { return Promise.reject(new Error("Document is ready and element " + target + " does not exist")); }
    var options = this._options;
    root.innerHTML =
      '<div class="paypal-buttons" data-testid="paypal-buttons">' +
      '<button type="button" id="paypal-button">Pay with PayPal</button>' +
      '<div id="paypal-popup" hidden><p>PayPal: approve this payment?</p>' +
      '<button type="button" id="paypal-popup-approve">Complete Purchase</button>' +
      '<button type="button" id="paypal-popup-cancel">Cancel</button></div></div>';
    var popup = root.querySelector("#paypal-popup");
    var orderID = null;
    function fail(error) {
      popup.hidden = true;
      if (options.onError) { options.onError(error); } else { throw error; }
    }
    root.querySelector("#paypal-button").addEventListener("click", function () {
      Promise.resolve().then(function () { return options.createOrder({paymentSource: "paypal"}, {}); })
        .then(function (id) {
          if (!id) { throw new Error("Expected an order id to be passed"); }
          orderID = id;
          popup.hidden = false;
        }).catch(fail);
    });
    root.querySelector("#paypal-popup-approve").addEventListener("click", function () {
      approve(orderID).then(function (approved) {
        popup.hidden = true;
        return options.onApprove({orderID: approved.orderID, payerID: approved.payerID, paymentSource: "paypal"}, {});
      }).catch(fail);
    });
    root.querySelector("#paypal-popup-cancel").addEventListener("click", function () {
      popup.hidden = true;
      if (options.onCancel) { options.onCancel({orderID: orderID}); }
    });
    return Promise.resolve();
  };

  window.paypal = {Buttons: Buttons, version: "5.0.0-imitation"};
})();
