// Add two numbers with jQuery's $.ajax(): loaded after jquery.min.js.
"use strict";

// The page hands over the API's URL (url_for|tojson): no path is written here.
const api = JSON.parse($("#api").text());

$("#adder").on("submit", function (event) {
  event.preventDefault();
  const $form = $(this);
  $("#sum").text("");
  $("#error").text("");
  $.ajax({
    url: api.add,
    method: "POST",
    contentType: "application/json",
    // An empty field is NaN, which JSON.stringify sends as null.
    data: JSON.stringify({
      a: $form.find("[name=a]").prop("valueAsNumber"),
      b: $form.find("[name=b]").prop("valueAsNumber"),
    }),
    dataType: "json",
  })
    .done((answer) => $("#sum").text(answer.sum))
    .fail((xhr) => {
      // jQuery parses an error's JSON body too; none if it was not JSON.
      $("#error").text(xhr.responseJSON?.message ?? "The server gave no JSON answer.");
    });
});
