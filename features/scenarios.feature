@client
Feature: The SM-SR's answers reach the client as callbacks
  Deleting a local profile is asynchronous: ThingSpace asks the SM-SR and
  sends a DeviceProfileResponse callback per device to the account's
  DeviceProfileService listener. When the device is unreachable, the first
  callback is a warning and a later one gives the outcome.

  Background:
    Given the simulator is reset
    And the client's listener is registered for account "1223334444-00001"

  @results
  Scenario Outline: Each built-in scenario's callbacks, as the client sees them
    Given device "666456789123456789123456784008" runs the "<scenario>" scenario
    When the client deletes profile "89148000000840784259" from device "666456789123456789123456784008"
    Then the request is accepted
    And the client has received <first> for device "666456789123456789123456784008"
    When <later> minutes pass
    Then the client's final result for device "666456789123456789123456784008" is "<final>" with euicc status "<euicc>"
    And the client received <count> callbacks for device "666456789123456789123456784008"
    And device "666456789123456789123456784008" has profile "<enabled>" enabled

    Examples:
      | scenario                 | first                | later | final   | euicc            | count | enabled              |
      | immediate-success        | a final result       | 0     | Success | EXECUTED_SUCCESS | 1     | 11245055053268336886 |
      | failure                  | a final result       | 0     | Failed  | FAILED           | 1     | 89148000000840784259 |
      | warning-then-success     | only a warning       | 10    | Success | EXECUTED_SUCCESS | 2     | 11245055053268336886 |
      | unreachable-then-failure | only a warning       | 30    | Failed  | EXPIRED          | 2     | 89148000000840784259 |
      | delayed-success          | nothing              | 2     | Success | EXECUTED_SUCCESS | 1     | 11245055053268336886 |

  @fault-form
  Scenario: ThingSpace's fault form is a final failure
    Given device "666456789123456789123456784008" runs the "fault-response" scenario
    When the client deletes profile "89148000000840784259" from device "666456789123456789123456784008"
    Then the request is accepted
    And the client's final result for device "666456789123456789123456784008" is "Failed" with code "UnifiedWebService.REQUEST_FAILED.UnexpectedError"
    And device "666456789123456789123456784008" has profile "89148000000840784259" enabled

  @warnings
  Scenario: A warning is not the end
    Given device "666456789123456789123456784008" runs the "warning-then-success" scenario
    When the client deletes profile "89148000000840784259" from device "666456789123456789123456784008"
    And 9 minutes pass
    Then the client has received only a warning for device "666456789123456789123456784008"
    And device "666456789123456789123456784008" is waiting for the SM-SR
    And device "666456789123456789123456784008" has profile "89148000000840784259" enabled

  @stale
  Scenario: A stale warning after the final result changes nothing
    Given device "666456789123456789123456784008" runs the "success-before-warning" scenario
    When the client deletes profile "89148000000840784259" from device "666456789123456789123456784008"
    And 1 minutes pass
    Then the client's final result for device "666456789123456789123456784008" is "Success" with euicc status "EXECUTED_SUCCESS"
    And the simulator sent 2 callbacks for device "666456789123456789123456784008"
    And the client received 1 callbacks for device "666456789123456789123456784008"

  @duplicates
  Scenario: A duplicated callback is taken once
    Given device "666456789123456789123456784008" runs the "duplicate-success" scenario
    When the client deletes profile "89148000000840784259" from device "666456789123456789123456784008"
    Then the client's final result for device "666456789123456789123456784008" is "Success" with euicc status "EXECUTED_SUCCESS"
    And the simulator sent 2 callbacks for device "666456789123456789123456784008"
    And the client received 1 callbacks for device "666456789123456789123456784008"

  @retries
  Scenario: A listener that fails twice, then acknowledges
    Given the client's listener answers 500 to the first 2 callbacks
    When the client deletes profile "89148000000840784259" from device "666456789123456789123456784008"
    And 5 minutes pass
    And 5 minutes pass
    Then the client's final result for device "666456789123456789123456784008" is "Success" with euicc status "EXECUTED_SUCCESS"
    And the client's final result for device "666456789123456789123456784008" came with callbackCount 3
    And the client received 1 callbacks for device "666456789123456789123456784008"

  @retries
  Scenario: A listener that never acknowledges gets the callback 4 times, 5 minutes apart
    Given the client's listener answers 503 to the first 10 callbacks
    When the client deletes profile "89148000000840784259" from device "666456789123456789123456784008"
    And 60 minutes pass
    Then the simulator made 4 attempts to deliver the callback for device "666456789123456789123456784008", 5 minutes apart
    And the client received 0 callbacks for device "666456789123456789123456784008"
