@client
Feature: The client's listener, as ThingSpace treats it
  ThingSpace POSTs each result to the listener the client registered and
  counts only a 2xx as delivered. It sends a callback again when it saw no
  2xx, the same callback may come twice, and a callback may beat the answer
  that carries its requestId. A listener that gets any of this wrong loses
  results or takes them twice.

  Background:
    Given the simulator is reset

  @acknowledges
  Scenario: Every callback taken is acknowledged with a 2xx
    Given the client's listener is registered for account "1223334444-00001"
    And device "666456789123456789123456784008" runs the "warning-then-success" scenario
    When the client deletes profile "89148000000840784259" from device "666456789123456789123456784008"
    And 10 minutes pass
    Then the client's final result for device "666456789123456789123456784008" is "Success" with euicc status "EXECUTED_SUCCESS"
    And the client's listener acknowledged every callback with a 2xx

  @bad-callbacks
  Scenario: A body that is not JSON is answered with a 4xx
    Given the client's listener is registered for account "1223334444-00001"
    When a callback whose body is not JSON reaches the client's listener
    Then the client's listener answers it with a 4xx

  @retries
  Scenario: A warning sent again because its acknowledgement was lost is taken once
    Given the client's listener is registered for account "1223334444-00001"
    And device "666456789123456789123456784008" runs the "warning-then-success" scenario
    And the acknowledgement of the first callback is lost on the way back
    When the client deletes profile "89148000000840784259" from device "666456789123456789123456784008"
    And 5 minutes pass
    Then the simulator made 2 attempts to deliver the callback for device "666456789123456789123456784008", 5 minutes apart
    And the client has received only a warning for device "666456789123456789123456784008"
    When 5 minutes pass
    Then the client's final result for device "666456789123456789123456784008" is "Success" with euicc status "EXECUTED_SUCCESS"
    And the client received 2 callbacks for device "666456789123456789123456784008"

  @early-callbacks
  Scenario: A callback that arrives before the requestId is matched to its request
    Given the simulator holds its answers to the client until a callback of the request was delivered
    And the client's listener is registered for account "1223334444-00001"
    When the client deletes profile "89148000000840784259" from device "666456789123456789123456784008"
    Then the request is accepted
    And the client's final result for device "666456789123456789123456784008" is "Success" with euicc status "EXECUTED_SUCCESS"

  @burst
  Scenario: A burst of 1,000 callbacks
    Given the client's listener is registered for account "1223334444-00001"
    And 1000 more devices of account "1223334444-00001", each with an enabled local profile
    When the client deletes the enabled profile of each of those devices in one request
    Then the client's final result for each of those devices is "Success"
    And the client's listener acknowledged every callback with a 2xx
