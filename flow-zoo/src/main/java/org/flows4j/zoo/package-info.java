/** The flows4j model zoo: models, data sets, training and the command. */
package org.flows4j.zoo;
