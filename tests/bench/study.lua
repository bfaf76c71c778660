-- wrk script for `make bench` (tests/bench/run.py starts wrk with it; not meant to be run alone).
--
--   wrk -tN -cN -d20s -s study.lua http://127.0.0.1:PORT -- MODE STUDENTS_FILE N OUT_DIR [REF_PATH [DRAIN_AT [BLOCK_SIZE]]]
--
-- One connection per wrk thread, so a thread's requests and responses alternate strictly and
-- it can keep its own state (the card a `next` returned, then its answer). Each thread takes
-- its own students from STUDENTS_FILE (lines: token session_key course_id deck_id), so two
-- connections never answer the same student's cards.
--
-- MODE:
--   ref         GET REF_PATH (the framework's limit: one row by pk, a tiny template)
--   api-next    GET /api/v1/study/next/?deck=D with the student's token
--   api-loop    api-next, then POST /api/v1/study/answer/ for the card it returned, alternating
--   html-next   GET /study/C/D/ (the study page) with the student's session cookie
--   html-loop   html-next, then the plain form POST of the answer (302 to the feedback page)
--   htmx-loop   the loop as the page runs it with JavaScript: the card panel alone (HX-Request),
--               then the answer posted by htmx, which returns the feedback panel
--   block-tutor a student through a tutor block by the plain forms: start a block (POST
--               /blocks/new/, BLOCK_SIZE questions of the pool "all"), then per question the
--               question page, the answer's POST (302) and the page with its feedback; once
--               every question is answered, finish it (POST submit/), read the result page
--               and start a new block (the next student's)
--   load        api-loop for the load test: one student per connection, one answer in ten
--               sent twice (a double submit), accepted review ids written to OUT_DIR

local threads = {}
local counter = 0

function setup(thread)
   thread:set("id", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

local mode, students, nthreads, out_dir, ref_path
local me = 0
local pending = nil -- what the last request was: {what = "next"|"answer"|"page"|"post", ...}
local accepted_file = nil
n2xx, n3xx, n4xx, n5xx, n204, n409, accepted, replayed, answers, empty, nexts = 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0

local CSRF = "benchcsrfbenchcsrfbenchcsrf01234" -- 32 characters: an unmasked CSRF secret

local drain_at = nil -- load mode: from this time (epoch s) on, send nothing more
local BLOCK_SIZE = 10 -- block-tutor: questions a block (tests/bench/common.py passes its own)

function init(args)
   mode, nthreads, out_dir, ref_path = args[1], tonumber(args[3]), args[4], args[5]
   drain_at = tonumber(args[6] or "")
   BLOCK_SIZE = tonumber(args[7] or "") or BLOCK_SIZE
   math.randomseed(os.time() * 1000 + id * 7919)
   students = {}
   local i = 0
   for line in io.lines(args[2]) do
      local token, session, course, deck = line:match("^(%S+)%s+(%S+)%s+(%d+)%s+(%d+)")
      if token and i % nthreads == id then
         table.insert(students, {token = token, session = session, course = course, deck = deck})
      end
      i = i + 1
   end
   if #students == 0 then
      error("no students for thread " .. id)
   end
   me = math.random(1, #students)
   if mode == "load" then
      accepted_file = io.open(out_dir .. "/accepted-" .. id .. ".txt", "w")
   end
end

local function uuid4()
   local hex = {}
   for i = 1, 8 do
      hex[i] = string.format("%04x", math.random(0, 65535))
   end
   local s = table.concat(hex)
   return s:sub(1, 8) .. "-" .. s:sub(9, 12) .. "-4" .. s:sub(14, 16) .. "-a" .. s:sub(18, 20) .. "-" .. s:sub(21, 32)
end

local function student()
   return students[me]
end

local function advance()
   me = me % #students + 1
end

local function api_next()
   local s = student()
   pending = {what = "next"}
   return wrk.format("GET", "/api/v1/study/next/?deck=" .. s.deck, {["Authorization"] = "Token " .. s.token})
end

local function api_answer(card)
   local s = student()
   local body
   if card.kind == "flashcard" then
      body = string.format('{"card": %s, "review_id": "%s", "reps": %s, "rating": 3}', card.id, card.review_id, card.reps)
   elseif card.kind == "multiple" then
      body = string.format('{"card": %s, "review_id": "%s", "reps": %s, "choices": [%s]}', card.id, card.review_id, card.reps, card.choice)
   elseif card.choice then
      body = string.format('{"card": %s, "review_id": "%s", "reps": %s, "choice": %s}', card.id, card.review_id, card.reps, card.choice)
   else
      body = string.format('{"card": %s, "review_id": "%s", "reps": %s, "text": "GABA-B"}', card.id, card.review_id, card.reps)
   end
   pending = {what = "answer", card = card}
   return wrk.format("POST", "/api/v1/study/answer/", {
      ["Authorization"] = "Token " .. s.token,
      ["Content-Type"] = "application/json",
   }, body)
end

local function page()
   local s = student()
   pending = {what = "page"}
   local headers = {["Cookie"] = "sessionid=" .. s.session .. "; csrftoken=" .. CSRF}
   if mode == "htmx-loop" then
      headers["HX-Request"] = "true"
   end
   return wrk.format("GET", "/study/" .. s.course .. "/" .. s.deck .. "/", headers)
end

-- A form post's answer field: Good for a flashcard, the first choice, or "GABA-B" typed.
local function answer_field(card)
   if card.kind == "flashcard" then
      return "rating=3"
   elseif card.kind == "multiple" then
      return "choices=" .. card.choice
   elseif card.choice then
      return "choice=" .. card.choice
   end
   return "text=GABA-B"
end

local function post(card)
   local s = student()
   local fields = {
      "csrfmiddlewaretoken=" .. CSRF,
      "card=" .. card.id,
      "kind=" .. card.kind,
      "review_id=" .. uuid4(),
      "response_ms=4200",
   }
   if card.reps then
      table.insert(fields, "reps=" .. card.reps)
   end
   table.insert(fields, answer_field(card))
   pending = {what = "post"}
   local headers = {
      ["Cookie"] = "sessionid=" .. s.session .. "; csrftoken=" .. CSRF,
      ["Content-Type"] = "application/x-www-form-urlencoded",
   }
   if mode == "htmx-loop" then
      headers["HX-Request"] = "true"
   end
   return wrk.format("POST", "/study/" .. s.course .. "/" .. s.deck .. "/answer/", headers, table.concat(fields, "&"))
end

local next_card = nil -- a card to answer on the next request

-- block-tutor: where this thread's student is in their block
local block = {step = "start"} -- step: start | page | answer | feedback | submit | result

local function form_headers(s)
   return {
      ["Cookie"] = "sessionid=" .. s.session .. "; csrftoken=" .. CSRF,
      ["Content-Type"] = "application/x-www-form-urlencoded",
   }
end

local function block_request()
   local s = student()
   local step = block.step
   pending = {what = "block-" .. step}
   if step == "start" then
      local body = "csrfmiddlewaretoken=" .. CSRF .. "&course=" .. s.course .. "&pool=all&size=" .. BLOCK_SIZE .. "&mode=tutor"
      return wrk.format("POST", "/blocks/new/", form_headers(s), body)
   elseif step == "answer" then
      local card = block.card
      local fields = {
         "csrfmiddlewaretoken=" .. CSRF, "card=" .. card.id, "kind=" .. card.kind, "n=" .. card.n, "response_ms=4200",
      }
      table.insert(fields, answer_field(card))
      return wrk.format("POST", block.path .. "answer/", form_headers(s), table.concat(fields, "&"))
   elseif step == "submit" then
      return wrk.format("POST", block.path .. "submit/", form_headers(s), "csrfmiddlewaretoken=" .. CSRF)
   end
   local path = ({page = block.path, feedback = block.feedback, result = block.path .. "result/"})[step]
   return wrk.format("GET", path, {["Cookie"] = "sessionid=" .. s.session .. "; csrftoken=" .. CSRF})
end

-- The block's next step from the response to this one; a step that fails starts a new block
-- with the next student.
local function block_response(status, headers, body)
   local step = block.step
   local location = headers and (headers["Location"] or headers["location"])
   if step == "start" then
      if status == 302 and location then
         block = {step = "page", path = location:match("(/blocks/%d+/)")}
         nexts = nexts + 1
         return
      end
      empty = empty + 1
   elseif step == "page" and status == 200 then
      if body:find('id="answer-form"', 1, true) then
         block.card = {
            id = body:match('name="card" value="(%d+)"'),
            kind = body:match('name="kind" value="(%a+)"'),
            n = body:match('name="n" value="(%d+)"'),
            choice = body:match('name="choices?" value="(%d+)"'),
         }
         block.step = "answer"
      else
         block.step = "submit" -- every question answered
      end
      return
   elseif step == "answer" then
      answers = answers + 1
      if status == 302 and location then
         accepted = accepted + 1
         block.feedback = location:match("^https?://[^/]+(/.*)$") or location
         block.step = "feedback"
         return
      end
   elseif step == "feedback" and status == 200 then
      block.step = "page"
      return
   elseif step == "submit" and status == 302 then
      block.step = "result"
      return
   end
   -- the result page read (or a step refused): the next student starts a new block
   block = {step = "start"}
   advance()
end

-- The load test stops sending a few seconds before wrk stops, so no answer is still in
-- flight when it does: every answer the server recorded then has its response counted here.
function delay()
   if drain_at and os.time() >= drain_at then
      return 3600 * 1000
   end
   return 0
end

function request()
   if mode == "ref" then
      pending = {what = "ref"}
      return wrk.format("GET", ref_path)
   end
   if mode == "api-next" then
      advance()
      return api_next()
   end
   if mode == "html-next" then
      advance()
      return page()
   end
   if mode == "block-tutor" then
      return block_request()
   end
   local html = mode == "html-loop" or mode == "htmx-loop"
   if next_card then
      local card = next_card
      next_card = nil
      if html then
         return post(card)
      end
      return api_answer(card)
   end
   if html then
      return page()
   end
   return api_next()
end

local function parse_api_card(body)
   local id = body:match('"card":%s*{%s*"id":%s*(%d+)')
   if not id then
      return nil
   end
   return {
      id = id,
      kind = body:match('"kind":%s*"(%a+)"'),
      reps = body:match('"reps":%s*(%d+)'),
      choice = body:match('"choices":%s*%[%s*{%s*"id":%s*(%d+)'),
      review_id = uuid4(),
   }
end

local function parse_page_card(body)
   local kind = body:match('name="kind" value="(%a+)"')
   if kind then
      return {
         id = body:match('name="card" value="(%d+)"'),
         kind = kind,
         reps = body:match('name="reps" value="(%d+)"'),
         choice = body:match('name="choices?" value="(%d+)"'),
      }
   end
   local reveal = body:match("/reveal/(%d+)/")
   if reveal then
      return {id = reveal, kind = "flashcard"}
   end
   return nil
end

function response(status, headers, body)
   if status >= 500 then
      n5xx = n5xx + 1
   elseif status >= 400 then
      n4xx = n4xx + 1
      if status == 409 then
         n409 = n409 + 1
      end
   elseif status >= 300 then
      n3xx = n3xx + 1
   else
      n2xx = n2xx + 1
      if status == 204 then
         n204 = n204 + 1
      end
   end
   if not pending then
      return
   end
   local what = pending.what
   if mode == "block-tutor" then
      block_response(status, headers, body)
      return
   end
   if what == "next" or what == "page" then
      nexts = nexts + 1
   end
   if what == "next" then
      local card = status == 200 and parse_api_card(body) or nil
      if card then
         next_card = card
      else
         empty = empty + 1
         advance()
      end
   elseif what == "page" and (mode == "html-loop" or mode == "htmx-loop") then
      local card = status == 200 and parse_page_card(body) or nil
      if card then
         next_card = card
      else
         empty = empty + 1
         advance()
      end
   elseif what == "answer" then
      answers = answers + 1
      local card = pending.card
      if status == 200 then
         if body:match('"replayed":%s*true') then
            replayed = replayed + 1
         else
            accepted = accepted + 1
            if accepted_file then
               accepted_file:write(card.review_id .. "\n")
               accepted_file:flush()
            end
            -- a double submit: the same answer again must be replayed, not recorded twice
            if mode == "load" and not card.again and math.random() < 0.1 then
               card.again = true
               next_card = card
               return
            end
         end
      end
      advance()
   elseif what == "post" then
      answers = answers + 1
      if status == 302 or (status == 200 and body:find('data-mode="feedback"', 1, true)) then
         accepted = accepted + 1
      end
      advance()
   end
end

function done(summary, latency, requests)
   local totals = {
      n2xx = 0, n3xx = 0, n4xx = 0, n5xx = 0, n204 = 0, n409 = 0,
      accepted = 0, replayed = 0, answers = 0, empty = 0, nexts = 0,
   }
   for _, thread in ipairs(threads) do
      for name, _ in pairs(totals) do
         totals[name] = totals[name] + (thread:get(name) or 0)
      end
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "connect_errors": %d, "read_errors": %d, ' ..
      '"write_errors": %d, "status_errors": %d, "timeouts": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
      '"max_us": %d, "n2xx": %d, "n3xx": %d, "n4xx": %d, "n5xx": %d, "n204": %d, "n409": %d, "accepted": %d, ' ..
      '"replayed": %d, "answers": %d, "empty": %d, "nexts": %d}\n',
      summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
      totals.n2xx, totals.n3xx, totals.n4xx, totals.n5xx, totals.n204, totals.n409, totals.accepted,
      totals.replayed, totals.answers, totals.empty, totals.nexts))
end
