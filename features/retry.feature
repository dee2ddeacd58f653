@client
Feature: Calls ThingSpace throttles are sent again when Retry-After says
  ThingSpace's API gateway answers 429 when a client goes over its quota,
  and 503 when the service behind it is unavailable; neither served the
  call, and the Retry-After header says how many seconds to wait before
  sending it again. A client waits at least that long, then sends the same
  call, until it goes through. (A client declares this capability in
  hello: "retry-after".)

  Background:
    Given the simulator is reset

  @retry-after
  Scenario: A delete throttled with 429 goes through once Retry-After has passed
    Given ThingSpace answers the client's next delete with 429 and "Retry-After: 2"
    And the client's listener is registered for account "1223334444-00001"
    When the client deletes profile "89148000000840784259" from device "666456789123456789123456784008"
    Then the request is accepted
    And the client sent each delete again no sooner than its Retry-After said
    And the client's final result for device "666456789123456789123456784008" is "Success" with euicc status "EXECUTED_SUCCESS"

  @retry-after
  Scenario: A delete answered 503 twice goes through on the third send
    Given ThingSpace answers the client's next 2 deletes with 503 and "Retry-After: 1"
    And the client's listener is registered for account "1223334444-00001"
    When the client deletes profile "89148000000840784259" from device "666456789123456789123456784008"
    Then the request is accepted
    And the client sent each delete again no sooner than its Retry-After said
    And the client's final result for device "666456789123456789123456784008" is "Success" with euicc status "EXECUTED_SUCCESS"
