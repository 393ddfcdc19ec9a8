// The demo shop: sells the payment link the operator configured (GET /v1/demo) and, on
// "Pay", starts a session with the publishable key and mounts the widget in the page.
// No secret key is ever in this page.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var buy = $("buy");
  var message = $("message");

  function say(text) { message.textContent = text; }

  function line(name, amount, currency) {
    var li = document.createElement("li");
    var label = document.createElement("span");
    label.textContent = name;
    var price = document.createElement("span");
    price.textContent = amount + " " + currency;
    li.append(label, price);
    return li;
  }

  fetch("/v1/demo").then(function (res) {
    return res.json().then(function (body) {
      if (!res.ok) throw new Error(body.error ? body.error.message : "HTTP " + res.status);
      return body;
    });
  }).then(function (demo) {
    var link = demo.payment_link;
    $("product-name").textContent = link.description || "Your order";
    var lines = $("lines");
    link.line_items.forEach(function (item) {
      lines.append(line(item.quantity + " × " + item.name, item.amount_total, link.currency));
    });
    link.discounts.forEach(function (d) { lines.append(line(d.name, "−" + d.amount, link.currency)); });
    $("total").textContent = "Total " + link.amount_total + " " + link.currency;
    if (!link.active) return say("This product is not on sale right now.");
    buy.disabled = false;
    buy.addEventListener("click", function () {
      buy.disabled = true;
      say("Starting your checkout…");
      fetch("/v1/public/payment_links/" + encodeURIComponent(link.id) + "/sessions", {
        method: "POST",
        headers: { authorization: "Bearer " + demo.publishable_key },
      }).then(function (res) {
        return res.json().then(function (body) {
          if (!res.ok) throw new Error(body.error ? body.error.message : "HTTP " + res.status);
          return body;
        });
      }).then(function (started) {
        say("");
        buy.hidden = true;
        window.Kasse.mount($("checkout"), {
          session: started.id,
          clientSecret: started.client_secret,
          onPaid: function () { say("Thank you! Your order is paid."); },
          onExpired: function () { buy.hidden = false; buy.disabled = false; },
        });
      }).catch(function (e) {
        buy.disabled = false;
        say("Could not start the checkout: " + e.message);
      });
    });
  }).catch(function (e) {
    $("product-name").textContent = "Demo shop";
    say(e.message);
  });
})();
